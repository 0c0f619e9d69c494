using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common.Results;

namespace Relay.Application.Realtime.Disconnect;

public sealed class DisconnectHandler(IRoomManager rooms) : ICommandHandler<DisconnectCommand, RealtimeResult>
{
    public async ValueTask<RealtimeResult> Handle(DisconnectCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        await rooms.LeaveAsync(command.Session, command.Reason, cancellationToken);
        return RealtimeResult.Ok;
    }
}
