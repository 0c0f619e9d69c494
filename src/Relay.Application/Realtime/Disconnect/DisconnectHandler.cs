using Mediator;
using Relay.Application.Common.Results;

namespace Relay.Application.Realtime.Disconnect;

public sealed class DisconnectHandler(RoomCoordinator coordinator) : ICommandHandler<DisconnectCommand, RealtimeResult>
{
    public ValueTask<RealtimeResult> Handle(DisconnectCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        coordinator.RemoveMember(command.Session, command.Reason);
        return ValueTask.FromResult(RealtimeResult.Ok);
    }
}
