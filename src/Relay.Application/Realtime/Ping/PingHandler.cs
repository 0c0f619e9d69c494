using Mediator;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Frames;

namespace Relay.Application.Realtime.Ping;

public sealed class PingHandler : ICommandHandler<PingCommand, RealtimeResult>
{
    public ValueTask<RealtimeResult> Handle(PingCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Client.Reply(ServerFrames.Pong(command.Ref));
        return ValueTask.FromResult(RealtimeResult.Ok);
    }
}
