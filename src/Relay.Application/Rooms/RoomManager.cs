using Microsoft.Extensions.Options;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Options;
using Relay.Application.Rooms.Membership;
using Relay.Domain.Connections;
using Relay.Domain.Rooms;

namespace Relay.Application.Rooms;

/// <summary>
/// The room manager of the original design: the central state of rooms (kept by the backplane: the rooms themselves
/// on a single node, Redis in a cluster), their creation through the <see cref="RoomFactory"/>, reads, changes a
/// backend makes, and the summary of all rooms. Membership changes go through <see cref="RoomMembership"/>.
/// </summary>
public sealed class RoomManager(
    IRoomBackplane backplane,
    RoomFactory factory,
    RoomMembership membership,
    IOptions<RelayOptions> options)
{
    private readonly RelayOptions _options = options.Value;

    /// <summary>False while the shared state cannot be reached (a Redis outage or stall); always true on a single node.</summary>
    public bool IsAvailable => backplane.IsAvailable;

    /// <summary>Creates a room; a generated id that happens to be taken is drawn again.</summary>
    public async ValueTask<(CreateRoomStatus Status, CreatedRoom? Created)> CreateAsync(RoomSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        while (true)
        {
            var created = factory.Create(spec);
            var status = await backplane.CreateAsync(created.Room, _options.MaxRooms, cancellationToken);
            if (status == CreateRoomStatus.IdTaken && spec.Id is null)
            {
                continue;
            }

            return (status, status == CreateRoomStatus.Created ? created : null);
        }
    }

    /// <summary>The room as REST reads show it, or null.</summary>
    public ValueTask<Room?> FindAsync(string id, CancellationToken cancellationToken) => backplane.ReadAsync(id, cancellationToken);

    public ValueTask<RoomPage> ListAsync(int offset, int limit, CancellationToken cancellationToken) =>
        backplane.ListAsync(offset, limit, cancellationToken);

    public ValueTask<RoomTotals> GetTotalsAsync(CancellationToken cancellationToken) => backplane.TotalsAsync(cancellationToken);

    /// <summary>Applies a backend's change; returns the room after it, or null when there is no such room.</summary>
    public async ValueTask<(MemberChange Change, Room? Room)> UpdateAsync(string id, int? maxClients, bool? locked, RoomMetadata? metadata, int? resumeWindowSeconds, CancellationToken cancellationToken)
    {
        var (change, updated) = await WithRoomAsync(id, async room =>
        {
            var change = await membership.UpdateAsync(room, maxClients, locked, metadata, resumeWindowSeconds, cancellationToken);
            return (change, change == MemberChange.Done ? room : null);
        }, cancellationToken);
        if (updated is null || !backplane.IsShared)
        {
            return (change, updated);
        }

        // In a cluster the answer is the room as a read shows it: this node's copy counts only the relays made
        // through it since it was loaded, a read the whole cluster's. The copy answers if the read cannot.
        try
        {
            return (change, await backplane.ReadAsync(id, cancellationToken) ?? updated);
        }
        catch (RoomStoreUnavailableException)
        {
            return (change, updated);
        }
    }

    /// <summary>`DELETE`: every client gets `room_closed` `deleted` and close 4000.</summary>
    public async ValueTask<MemberChange> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        var (change, _) = await WithRoomAsync(id, async room =>
            (await membership.CloseAsync(room, RoomClosedReasons.Deleted, CloseCodes.RoomClosed, null, null, cancellationToken), (Room?)null), cancellationToken);
        return change;
    }

    /// <summary>A backend kicks <paramref name="clientId"/>.</summary>
    public async ValueTask<MemberChange> KickAsync(string id, int clientId, string reason, CancellationToken cancellationToken)
    {
        var (change, _) = await WithRoomAsync(id, async room =>
            (await membership.KickAsync(room, clientId, reason, null, cancellationToken), (Room?)null), cancellationToken);
        return change;
    }

    /// <summary>
    /// This node is stopping: each of its clients gets `room_closed` `shutdown` and close 1001. A single node closes
    /// every room; a cluster node takes its clients out of rooms that live on (the others see `client_left`
    /// `disconnected`). Returns how many rooms this node held clients in.
    /// </summary>
    public async ValueTask<int> ShutdownAsync(CancellationToken cancellationToken)
    {
        var rooms = 0;
        foreach (var room in backplane.Held)
        {
            if (!backplane.IsShared)
            {
                rooms += await membership.CloseAsync(room, RoomClosedReasons.Shutdown, CloseCodes.GoingAway, null, null, cancellationToken) == MemberChange.Done ? 1 : 0;
                continue;
            }

            var locals = room.Members.ToArray().Where(m => m.Connection is not null).ToArray();
            if (locals.Length == 0)
            {
                continue;
            }

            rooms++;
            foreach (var session in locals)
            {
                var connection = session.Connection;
                if (connection is not null)
                {
                    Realtime.Delivery.RoomDelivery.Reply(connection, Realtime.Frames.ServerFrames.RoomClosed(RoomClosedReasons.Shutdown));
                    connection.Close(CloseCodes.GoingAway, "server shutting down");
                }

                await membership.LeaveAsync(session, connection: null, LeaveReasons.Disconnected, cancellationToken);
            }
        }

        return rooms;
    }

    /// <summary>The rooms with state on this node, at one moment.</summary>
    public IReadOnlyCollection<Room> Snapshot() => backplane.Held;

    private async ValueTask<(MemberChange Change, Room? Room)> WithRoomAsync(string id, Func<Room, ValueTask<(MemberChange, Room?)>> change, CancellationToken cancellationToken)
    {
        var (room, unavailable) = await membership.AcquireAsync(id, cancellationToken);
        if (room is null)
        {
            return (unavailable ? MemberChange.Unavailable : MemberChange.RoomNotFound, null);
        }

        try
        {
            return await change(room);
        }
        finally
        {
            backplane.Release(room);
        }
    }
}
