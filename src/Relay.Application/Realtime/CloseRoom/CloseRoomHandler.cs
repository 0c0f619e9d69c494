using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Domain.Sessions;

namespace Relay.Application.Realtime.CloseRoom;

public sealed class CloseRoomHandler(IRoomManager rooms) : ICommandHandler<CloseRoomCommand, RealtimeResult>
{
    public async ValueTask<RealtimeResult> Handle(CloseRoomCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!HostOnly.TryGetRoom(command.Host, out var room, out var error))
        {
            return error;
        }

        // Closed already (by someone else, at the same moment) is as good as closed.
        var change = await rooms.CloseAsync(room, RoomClosedReasons.ClosedByHost, CloseCodes.RoomClosed, command.Reason, cancellationToken);
        return change == MemberChange.Unavailable ? MemberChanges.ToResult(change, 0) : RealtimeResult.Ok;
    }
}
