using Mediator;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Domain.Sessions;

namespace Relay.Application.Realtime.CloseRoom;

public sealed class CloseRoomHandler(RoomCoordinator coordinator) : ICommandHandler<CloseRoomCommand, RealtimeResult>
{
    public ValueTask<RealtimeResult> Handle(CloseRoomCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!HostOnly.TryGetRoom(command.Host, out var room, out var error))
        {
            return ValueTask.FromResult(error);
        }

        coordinator.CloseRoom(room, RoomClosedReasons.ClosedByHost, CloseCodes.RoomClosed, command.Reason);
        return ValueTask.FromResult(RealtimeResult.Ok);
    }
}
