using Mediator;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Frames;
using Relay.Application.Realtime.Parsing;
using Relay.Domain.Sessions;

namespace Relay.Application.Realtime.Ping;

/// <summary>`ping`: answered with `pong`, connected or not.</summary>
public sealed record PingCommand(Session Session, MessageRef Ref) : ICommand<RealtimeResult>;

public sealed class PingHandler : ICommandHandler<PingCommand, RealtimeResult>
{
    public ValueTask<RealtimeResult> Handle(PingCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        RoomCoordinator.SendTo(command.Session, ServerFrames.Pong(command.Ref));
        return ValueTask.FromResult(RealtimeResult.Ok);
    }
}
