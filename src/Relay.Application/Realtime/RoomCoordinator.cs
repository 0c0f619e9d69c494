using Microsoft.Extensions.Logging;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Realtime.Frames;
using Relay.Domain.Rooms;
using Relay.Domain.Sessions;

namespace Relay.Application.Realtime;

/// <summary>
/// The membership changes shared by several commands (leave, disconnect, kick, close, delete, expiry,
/// shutdown) with the notifications they cause. Each change and its notifications happen under the
/// room's gate, so every member sees the same order of events.
/// </summary>
public sealed partial class RoomCoordinator(IRoomManager rooms, TimeProvider timeProvider, ILogger<RoomCoordinator> logger)
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
        rooms.Remove(room);
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
