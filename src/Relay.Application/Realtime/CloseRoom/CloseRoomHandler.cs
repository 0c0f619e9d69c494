using Mediator;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Rooms.Membership;
using Relay.Domain.Connections;

namespace Relay.Application.Realtime.CloseRoom;

public sealed class CloseRoomHandler(RoomMembership membership) : ICommandHandler<CloseRoomCommand, RealtimeResult>
{
    public async ValueTask<RealtimeResult> Handle(CloseRoomCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!HostOnly.TryGetHost(command.Client, out var host, out var error))
        {
            return error;
        }

        // Closed already (by someone else, at the same moment) is as good as closed.
        var change = await membership.CloseAsync(host.Room, RoomClosedReasons.ClosedByHost, CloseCodes.RoomClosed, command.Reason, host, cancellationToken);
        return change is MemberChange.Unavailable or MemberChange.NotHost ? RealtimeResults.Of(change, 0) : RealtimeResult.Ok;
    }
}
