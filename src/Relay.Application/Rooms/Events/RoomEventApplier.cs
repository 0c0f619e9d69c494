using Microsoft.Extensions.Logging;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Realtime.Delivery;
using Relay.Application.Realtime.Frames;
using Relay.Application.Rooms.Membership;
using Relay.Domain.Connections;
using Relay.Domain.Rooms;

namespace Relay.Application.Rooms.Events;

/// <summary>
/// Applies committed room events to this node's copy of a room and tells its members, under the room's gate so that
/// every member sees events in the order the state changed. A join or resume of this node's connections finds its
/// waiting connection in <see cref="PendingArrivals"/> (and gets `connected` before anyone can relay to it); members
/// whose connections live on other nodes are stand-ins. Frames go out through <see cref="RoomDelivery"/>.
/// </summary>
public sealed partial class RoomEventApplier(
    NodeIdentity node,
    RoomDelivery delivery,
    PendingArrivals pending,
    Orphans orphans,
    TimeProvider timeProvider,
    ILogger<RoomEventApplier> logger) : IRoomEventSink
{
    private readonly string _nodeId = node.Id;

    public void Apply(Room room, RoomEvent roomEvent, long seq)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(roomEvent);
        var last = seq + roomEvent.Width - 1;
        lock (room.Gate)
        {
            // Clients see seq only in a sequenced room; the copy keeps it either way (a cluster orders events by it).
            var shown = room.IsSequenced ? seq : 0;
            switch (roomEvent)
            {
                case MemberJoined joined:
                    ApplyJoin(room, joined, last, shown);
                    break;
                case MemberLeft left:
                    ApplyLeave(room, left, last, shown);
                    break;
                case MemberAway away:
                    if (room.ApplyAway(away, last) is not null)
                    {
                        Publish(room, away, shown);
                    }

                    break;
                case MemberBack back:
                    ApplyBack(room, back, last, shown);
                    break;
                case HostTransferred transferred:
                    if (room.ApplyHost(transferred.HostId, last))
                    {
                        Publish(room, transferred, shown);
                    }

                    break;
                case RoomUpdated updated:
                    room.ApplyUpdate(updated, last);
                    break;
                case RoomClosed closed:
                    Close(room, closed.Reason, closed.CloseCode, closed.Message, last, partOfDeparture: false);
                    break;
            }
        }
    }

    public void DeliverRelay(Room room, in RelayMessage relay, long seq)
    {
        ArgumentNullException.ThrowIfNull(room);
        if (seq == 0)
        {
            // Unsequenced: lock-free, like every relay on the node where it was sent.
            delivery.Relay(room, relay, 0);
            return;
        }

        lock (room.Gate)
        {
            room.AdvanceTo(seq);
            var resolved = relay.ToHost
                ? relay with { Audience = room.HostId is { } host ? Audience.Single(host) : Audience.Nobody, ToHost = false }
                : relay;
            delivery.Relay(room, resolved, seq);
        }
    }

    public Room Build(RoomSnapshot snapshot, bool live)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var room = new Room(snapshot.Settings, snapshot.CreatedAt) { RelayedBefore = snapshot.MessagesRelayed };
        lock (room.Gate)
        {
            foreach (var member in snapshot.Members)
            {
                if (live)
                {
                    Seat(room, member, announce: false);
                }
                else
                {
                    room.RestoreMember(member.Joined, member.JoinSeq, member.Node ?? string.Empty, member.IsAway, member.AwayUntil);
                }
            }

            room.Restore(snapshot.Version, snapshot.Seq, snapshot.LastClientId, snapshot.HostId, snapshot.Locked,
                snapshot.Settings.MaxClients, snapshot.Settings.Metadata, snapshot.Settings.ResumeWindowSeconds, snapshot.EmptySince);
        }

        return room;
    }

    public void Reconcile(Room room, RoomSnapshot snapshot, bool live)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(snapshot);
        var now = timeProvider.GetUtcNow();
        lock (room.Gate)
        {
            var stored = snapshot.Members.ToDictionary(m => m.Joined.ClientId);
            foreach (var member in room.Members.ToArray())
            {
                if (!stored.TryGetValue(member.ClientId, out var record))
                {
                    // Gone meanwhile: its departure event was missed.
                    var connection = room.RemoveWithoutEvent(member, now);
                    connection?.Close(CloseCodes.GoingAway, "removed from the room");
                    delivery.Publish(room, Audience.Everyone, ServerFrames.ClientLeft(member.ClientId, LeaveReasons.Disconnected), 0);
                    LogReconciled(logger, room.Id, member.ClientId, "left");
                }
                else
                {
                    // Still there: where it is connected, whether it is away and its token may have changed meanwhile.
                    var wasAway = member.IsAway;
                    var gone = room.Sync(member, record.Node == _nodeId ? null : record.Node, record.AwayUntil, record.Joined.ResumeTokenDigest);
                    gone?.Close(CloseCodes.Replaced, "replaced by a new connection");
                    if (record.IsAway && !wasAway)
                    {
                        delivery.Publish(room, Audience.AllBut(member.ClientId), ServerFrames.ClientAway(member.ClientId, 0), 0);
                    }
                    else if (!record.IsAway && wasAway)
                    {
                        delivery.Publish(room, Audience.AllBut(member.ClientId), ServerFrames.ClientBack(member.ClientId, 0), 0);
                    }
                }
            }

            foreach (var record in snapshot.Members)
            {
                if (room.Find(record.Joined.ClientId) is not null)
                {
                    continue;
                }

                if (live)
                {
                    Seat(room, record, announce: true);
                }
                else
                {
                    room.RestoreMember(record.Joined, record.JoinSeq, record.Node ?? string.Empty, record.IsAway, record.AwayUntil);
                }
            }

            var hostBefore = room.HostId;
            room.Restore(snapshot.Version, snapshot.Seq, snapshot.LastClientId, snapshot.HostId, snapshot.Locked,
                snapshot.Settings.MaxClients, snapshot.Settings.Metadata, snapshot.Settings.ResumeWindowSeconds, snapshot.EmptySince);
            if (room.HostId != hostBefore)
            {
                delivery.Publish(room, Audience.Everyone, ServerFrames.HostChanged(room.HostId), 0);
            }
        }
    }

    /// <summary>Seats a stored member in a copy being built or reconciled (under the gate).</summary>
    private void Seat(Room room, MemberRecord record, bool announce)
    {
        var joined = record.Joined;
        Session? session;
        if (record.Node == _nodeId && !record.IsAway)
        {
            // Ours in the store: a join still waiting for its event is seated now, as the event would have; any other
            // is a seat without a connection here any more, given back.
            if (!pending.TryTake(joined.JoinToken, out var arrival))
            {
                room.RestoreMember(joined, record.JoinSeq, _nodeId, away: false, awayUntil: null, hidden: true);
                orphans.Add(room.Id, joined.ClientId, LeaveReasons.Disconnected);
                return;
            }
            else
            {
                session = SeatArrival(room, joined, record.JoinSeq, arrival);
            }
        }
        else
        {
            session = room.RestoreMember(joined, record.JoinSeq, record.Node, record.IsAway, record.AwayUntil);
        }

        if (announce && session is not null)
        {
            delivery.Publish(room, Audience.AllBut(joined.ClientId), ServerFrames.ClientJoined(joined.ClientId, joined.Name, joined.UserId), 0);
        }
    }

    private void ApplyJoin(Room room, MemberJoined joined, long last, long shown)
    {
        Session? session;
        if (joined.NodeId != _nodeId)
        {
            session = room.ApplyJoin(joined, last, null, joined.NodeId);
        }
        else if (pending.TryTake(joined.JoinToken, out var arrival))
        {
            session = SeatArrival(room, joined, last, arrival);
        }
        else
        {
            // A seat taken for a joiner that gave up waiting: a hidden stand-in, and the seat is given back.
            room.ApplyJoin(joined, last, null, _nodeId, hidden: true);
            orphans.Add(room.Id, joined.ClientId, LeaveReasons.Disconnected);
            return;
        }

        if (session is not null)
        {
            Publish(room, joined, shown);
        }
    }

    /// <summary>Seats a waiting connection of this node: `connected` is queued before it becomes visible to relays.</summary>
    private static Session? SeatArrival(Room room, MemberJoined joined, long seq, Arrival arrival)
    {
        var client = arrival.Client;
        var session = room.ApplyJoin(joined, seq, client.Connection, null, s =>
            client.Reply(ServerFrames.Connected(room, s, arrival.Ref, arrival.ResumeToken, room.IsSequenced ? seq : 0)));
        if (session is not null)
        {
            client.Seat(session);
        }

        arrival.Seated.TrySetResult(session);
        return session;
    }

    private void ApplyLeave(Room room, MemberLeft left, long last, long shown)
    {
        var (member, connection) = room.ApplyLeave(left, last, timeProvider.GetUtcNow());
        if (member is null)
        {
            if (left.Succession.Kind == SuccessionKind.CloseRoom)
            {
                Close(room, RoomClosedReasons.HostLeft, CloseCodes.RoomClosed, null, last, partOfDeparture: true);
            }

            return;
        }

        LogClientLeft(logger, room.Id, left.ClientId, left.Reason);
        if (member.IsHidden)
        {
            // This node's members were told already (or never saw it), when the seat lost its connection.
            if (left.Succession.Kind == SuccessionKind.CloseRoom)
            {
                Close(room, RoomClosedReasons.HostLeft, CloseCodes.RoomClosed, null, last, partOfDeparture: true);
            }

            return;
        }

        if (connection is not null)
        {
            if (left.Reason == LeaveReasons.Kicked)
            {
                RoomDelivery.Reply(connection, ServerFrames.Kicked(left.KickReason ?? string.Empty));
                connection.Close(CloseCodes.Kicked, "kicked");
            }
            else if (left.Reason != LeaveReasons.Left)
            {
                // Removed for a reason it did not ask for here (a timeout, or its node was taken for dead).
                connection.Close(CloseCodes.GoingAway, "removed from the room");
            }
        }

        Publish(room, left, shown);
        if (left.Succession.Kind == SuccessionKind.CloseRoom)
        {
            Close(room, RoomClosedReasons.HostLeft, CloseCodes.RoomClosed, null, last, partOfDeparture: true);
        }
    }

    private void ApplyBack(Room room, MemberBack back, long last, long shown)
    {
        Arrival? arrival = null;
        var local = back.NodeId == _nodeId;
        if (local && !pending.TryTake(back.JoinToken, out arrival))
        {
            arrival = null;
        }

        var (member, replaced) = room.ApplyBack(back, last, arrival?.Gate, local ? (arrival is null ? _nodeId : null) : back.NodeId);
        replaced?.Close(CloseCodes.Replaced, "replaced by a new connection");
        if (member is null)
        {
            arrival?.Seated.TrySetResult(null);
            return;
        }

        if (local && arrival is null)
        {
            // Its connection gave up waiting: the seat is this node's without a connection; it goes.
            orphans.Add(room.Id, back.ClientId, LeaveReasons.Disconnected);
        }

        if (arrival is not null)
        {
            arrival.View = ResumeView.Capture(room, member);
            arrival.Client.Seat(member);
            arrival.Seated.TrySetResult(member);
        }

        Publish(room, back, shown);
    }

    /// <summary>Tells this node's members of <paramref name="room"/> what <paramref name="e"/> shows them.</summary>
    private void Publish(Room room, RoomEvent e, long shown)
    {
        var frames = new List<EventFrame>(2);
        RoomEventFrames.Of(e, shown, frames);
        foreach (var frame in frames)
        {
            delivery.Publish(room, frame.Audience, frame.Frame, frame.Seq);
        }
    }

    /// <summary>Closes the room: every member gets `room_closed` and its connection closes with <paramref name="closeCode"/>.</summary>
    private void Close(Room room, string reason, ushort closeCode, string? message, long last, bool partOfDeparture)
    {
        var members = room.ApplyClose(last, partOfDeparture);
        LogRoomClosed(logger, room.Id, reason, members.Length);
        var frame = ServerFrames.RoomClosed(reason, message);
        foreach (var (_, connection) in members)
        {
            connection?.TrySend(frame);
            connection?.Close(closeCode, "room closed");
        }

        frame.Release();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Client {ClientId} left room {RoomId}: {Reason}")]
    private static partial void LogClientLeft(ILogger logger, string roomId, int clientId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Room {RoomId} closed ({Reason}) with {Clients} clients")]
    private static partial void LogRoomClosed(ILogger logger, string roomId, string reason, int clients);

    [LoggerMessage(Level = LogLevel.Information, Message = "Room {RoomId}: client {ClientId} {Change} while events were missed")]
    private static partial void LogReconciled(ILogger logger, string roomId, int clientId, string change);
}
