using Microsoft.Extensions.Logging;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Realtime.Frames;
using Relay.Application.Realtime.Parsing;
using Relay.Domain.Rooms;
using Relay.Domain.Sessions;

namespace Relay.Application.Realtime;

/// <summary>
/// Applies membership changes to a room held on this node and sends the notifications they cause. Each
/// change and its notifications happen under the room's gate, so every member sees the same order of events.
/// The in-memory manager decides and applies here; a cluster replica applies what the cluster decided
/// (the <c>Apply*</c> methods). <paramref name="unregister"/> drops a closed room from its manager.
/// </summary>
public sealed partial class RoomCoordinator(TimeProvider timeProvider, ILogger logger, Func<Room, bool> unregister)
{
    /// <summary>Queues <paramref name="frame"/> to every member but <paramref name="except"/>; releases the caller's reference.</summary>
    public static int Publish(Room room, OutboundFrame frame, Session? except = null)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(frame);
        var delivered = 0;
        foreach (var member in room.Members)
        {
            if (!ReferenceEquals(member, except) && member.TrySend(frame))
            {
                delivered++;
            }
        }

        frame.Release();
        return delivered;
    }

    /// <summary>Queues <paramref name="frame"/> to one session; releases the caller's reference.</summary>
    public static bool SendTo(Session session, OutboundFrame frame)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(frame);
        var sent = session.TrySend(frame);
        frame.Release();
        return sent;
    }

    /// <summary>Takes <paramref name="session"/> out of its room (leave, disconnect, timeout) and tells the others.</summary>
    public bool RemoveMember(Session session, string reason)
    {
        ArgumentNullException.ThrowIfNull(session);
        var room = session.Room;
        if (room is null)
        {
            return false;
        }

        lock (room.Gate)
        {
            var removed = room.Remove(session, timeProvider.GetUtcNow());
            if (!removed.Removed)
            {
                return false;
            }

            LogClientLeft(logger, room.Id, removed.ClientId, reason);
            Publish(room, ServerFrames.ClientLeft(removed.ClientId, reason));
            if (removed.WasHost)
            {
                OnHostLeft(room);
            }
        }

        return true;
    }

    /// <summary>Kicks <paramref name="target"/>: it gets `kicked` and close 4001, the others `client_left` `kicked`.</summary>
    public bool Kick(Room room, Session target, string reason)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(target);
        lock (room.Gate)
        {
            var removed = room.Remove(target, timeProvider.GetUtcNow());
            if (!removed.Removed)
            {
                return false;
            }

            LogClientLeft(logger, room.Id, removed.ClientId, LeaveReasons.Kicked);
            SendTo(target, ServerFrames.Kicked(reason));
            target.Close(CloseCodes.Kicked, "kicked");
            Publish(room, ServerFrames.ClientLeft(removed.ClientId, LeaveReasons.Kicked));
            if (removed.WasHost)
            {
                OnHostLeft(room);
            }
        }

        return true;
    }

    /// <summary>
    /// Closes <paramref name="room"/> for good: unregisters it, sends every member `room_closed` and closes
    /// each connection with <paramref name="closeCode"/>. False when the room was already closed.
    /// </summary>
    public bool CloseRoom(Room room, string reason, ushort closeCode, string? message = null)
    {
        ArgumentNullException.ThrowIfNull(room);
        unregister(room);
        Session[] members;
        lock (room.Gate)
        {
            if (room.IsClosed)
            {
                return false;
            }

            members = room.Close();
        }

        LogRoomClosed(logger, room.Id, reason, members.Length);
        var frame = ServerFrames.RoomClosed(reason, message);
        foreach (var member in members)
        {
            member.TrySend(frame);
            member.Close(closeCode, "room closed");
        }

        frame.Release();
        return true;
    }

    /// <summary>
    /// Seats the request's session in <paramref name="room"/> (the secret already matched): `connected` to the
    /// joiner first, then `client_joined` (and `host_changed`) to the others.
    /// </summary>
    public JoinOutcome Join(Room room, JoinRequest request, bool presentsHostSecret)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(request);
        var session = request.Session;
        lock (room.Gate)
        {
            // `connected` is queued before the joiner becomes visible to relays, so it is always its first message.
            var joined = room.Join(
                session,
                request.Name,
                presentsHostSecret,
                timeProvider.GetUtcNow(),
                _ => SendTo(session, ServerFrames.Connected(room, session, request.Ref)));
            switch (joined.Status)
            {
                case JoinStatus.Closed:
                    return JoinOutcome.RoomNotFound;
                case JoinStatus.Locked:
                    return JoinOutcome.Locked;
                case JoinStatus.Full:
                    return JoinOutcome.Full;
                case JoinStatus.AlreadyInRoom:
                    return JoinOutcome.AlreadyInRoom;
            }

            AnnounceJoin(room, session, joined, request.Name);
        }

        return JoinOutcome.Joined;
    }

    /// <summary>Makes <paramref name="clientId"/> host while <paramref name="host"/> still is, and tells everyone.</summary>
    public MemberChange TransferHost(Session host, int clientId)
    {
        ArgumentNullException.ThrowIfNull(host);
        var room = host.Room;
        if (room is null)
        {
            return MemberChange.RoomNotFound;
        }

        lock (room.Gate)
        {
            // Checked again under the gate: the host may have been replaced, or the target may be leaving.
            if (!host.IsHost)
            {
                return MemberChange.NotHost;
            }

            if (clientId == host.ClientId)
            {
                return MemberChange.Done;
            }

            if (!room.TransferHost(clientId))
            {
                return MemberChange.UnknownClient;
            }

            Publish(room, ServerFrames.HostChanged(clientId));
        }

        return MemberChange.Done;
    }

    /// <summary>
    /// A replica applies a join the cluster decided: <paramref name="session"/> is a connection of this node
    /// (it gets `connected` first, echoing <paramref name="connectedRef"/>) or a remote member's stand-in.
    /// </summary>
    public bool ApplyJoin(Room room, Session session, int clientId, string? name, bool becomesHost, DateTimeOffset joinedAt, MessageRef connectedRef)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(session);
        lock (room.Gate)
        {
            var joined = room.JoinAs(
                session,
                clientId,
                name,
                becomesHost,
                joinedAt,
                _ =>
                {
                    if (!session.IsRemote)
                    {
                        SendTo(session, ServerFrames.Connected(room, session, connectedRef));
                    }
                });
            if (!joined.Joined)
            {
                return false;
            }

            AnnounceJoin(room, session, joined, name);
        }

        return true;
    }

    /// <summary>Tells the other members about a join (under the gate): `client_joined`, and `host_changed` when it made a new host.</summary>
    private static void AnnounceJoin(Room room, Session joiner, JoinResult joined, string? name)
    {
        Publish(room, ServerFrames.ClientJoined(joined.ClientId, name), except: joiner);
        if (joined.HostChanged && room.ClientCount > 1)
        {
            Publish(room, ServerFrames.HostChanged(joined.ClientId), except: joiner);
        }
    }

    /// <summary>
    /// A replica applies a departure the cluster decided, with its host outcome: <paramref name="hostChanged"/>
    /// tells whether the host became <paramref name="newHostId"/> (null: no host). A kicked connection of this
    /// node gets `kicked` and close 4001; one removed for any other reason it did not ask for (its node was
    /// taken for dead) is closed with 1001.
    /// </summary>
    public bool ApplyRemove(Room room, int clientId, string reason, string? kickReason, bool hostChanged, int? newHostId)
    {
        ArgumentNullException.ThrowIfNull(room);
        lock (room.Gate)
        {
            var member = room.Find(clientId);
            if (member is null)
            {
                return false;
            }

            room.Remove(member, timeProvider.GetUtcNow());
            LogClientLeft(logger, room.Id, clientId, reason);
            if (!member.IsRemote && reason == LeaveReasons.Kicked)
            {
                SendTo(member, ServerFrames.Kicked(kickReason ?? string.Empty));
                member.Close(CloseCodes.Kicked, "kicked");
            }
            else if (!member.IsRemote && reason != LeaveReasons.Left)
            {
                member.Close(CloseCodes.GoingAway, "removed from the room");
            }

            Publish(room, ServerFrames.ClientLeft(clientId, reason));
            if (hostChanged)
            {
                // The departing host was already cleared by Remove: a room without one says so too.
                room.SetHost(newHostId);
                if (room.ClientCount > 0)
                {
                    Publish(room, ServerFrames.HostChanged(newHostId));
                }
            }
        }

        return true;
    }

    /// <summary>A replica applies a host change the cluster decided.</summary>
    public bool ApplyHost(Room room, int? hostId)
    {
        ArgumentNullException.ThrowIfNull(room);
        lock (room.Gate)
        {
            if (!room.SetHost(hostId))
            {
                return false;
            }

            Publish(room, ServerFrames.HostChanged(hostId));
        }

        return true;
    }

    private void OnHostLeft(Room room)
    {
        switch (room.Protocol.OnHostLeft(room))
        {
            case HostLeftAction.PassToLongestConnected:
                var next = room.PromoteLongestConnected();
                if (next is not null)
                {
                    Publish(room, ServerFrames.HostChanged(next.ClientId));
                }

                break;
            case HostLeftAction.NoHost:
                Publish(room, ServerFrames.HostChanged(null));
                break;
            case HostLeftAction.CloseRoom:
                CloseRoom(room, RoomClosedReasons.HostLeft, CloseCodes.RoomClosed);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Client {ClientId} left room {RoomId}: {Reason}")]
    private static partial void LogClientLeft(ILogger logger, string roomId, int clientId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Room {RoomId} closed ({Reason}) with {Clients} clients")]
    private static partial void LogRoomClosed(ILogger logger, string roomId, string reason, int clients);
}
