using Relay.Domain.Connections;

namespace Relay.Domain.Rooms;

/// <summary>
/// The rules of a room: every change is decided here (<c>Decide*</c>), against the room's current state under its
/// <see cref="Room.Gate"/>, as the event to commit or the reason there is none. A decision changes nothing and reads
/// only what <see cref="Room"/> shows; the change happens when its event is applied (<see cref="Room"/>'s
/// <c>Apply*</c>), on every copy of the room, in the same order.
/// </summary>
public static class RoomDecider
{
    /// <summary>
    /// A seat for <paramref name="attempt"/>: refused when the room is closed, locked or full. The joiner takes the next
    /// client id and becomes host when it presented the host secret (demoting any host) or, with
    /// <see cref="HostAssignment.First"/>, when the room has no host.
    /// </summary>
    public static Decision<MemberJoined> DecideJoin(this Room room, in JoinAttempt attempt)
    {
        lock (room.Gate)
        {
            if (room.IsClosed)
            {
                return Decision<MemberJoined>.Refuse(Refusal.RoomClosed);
            }

            if (room.Locked)
            {
                return Decision<MemberJoined>.Refuse(Refusal.Locked);
            }

            if (room.ClientCount >= room.MaxClients)
            {
                return Decision<MemberJoined>.Refuse(Refusal.Full);
            }

            var becomesHost = attempt.Match == SecretMatch.Host || (room.HostAssignment == HostAssignment.First && HostIdOf(room) == 0);
            return Decision<MemberJoined>.Accept(new MemberJoined(
                room.LastClientId + 1,
                attempt.Name,
                attempt.UserId,
                attempt.NodeId,
                attempt.Now,
                becomesHost,
                attempt.Resumable && room.IsSequenced,
                attempt.Resumable && room.IsSequenced ? attempt.ResumeTokenDigest : null,
                attempt.JoinToken), room.Version);
        }
    }

    /// <summary>
    /// The departure of <paramref name="clientId"/> for <paramref name="reason"/>, with the host rule applied if it is
    /// the host. With <paramref name="requiredHostId"/> (a host's kick), only while that client is still host.
    /// </summary>
    public static Decision<MemberLeft> DecideLeave(this Room room, int clientId, string reason, string? kickReason = null, int requiredHostId = 0)
    {
        lock (room.Gate)
        {
            if (room.IsClosed)
            {
                return Decision<MemberLeft>.Refuse(Refusal.RoomClosed);
            }

            if (requiredHostId != 0 && HostIdOf(room) != requiredHostId)
            {
                return Decision<MemberLeft>.Refuse(Refusal.NotHost);
            }

            if (room.Find(clientId) is null)
            {
                return Decision<MemberLeft>.Refuse(Refusal.NotMember);
            }

            return Decision<MemberLeft>.Accept(new MemberLeft(clientId, reason, kickReason, SuccessionAfter(room, clientId)), room.Version);
        }
    }

    /// <summary>A resumable member lost its connection: it stays, away, for the room's window.</summary>
    public static Decision<MemberAway> DecideAway(this Room room, int clientId, DateTimeOffset now)
    {
        lock (room.Gate)
        {
            var member = room.IsClosed ? null : room.Find(clientId);
            if (member is null)
            {
                return Decision<MemberAway>.Refuse(room.IsClosed ? Refusal.RoomClosed : Refusal.NotMember);
            }

            if (!member.Resumable || room.ResumeWindowSeconds == 0)
            {
                return Decision<MemberAway>.Refuse(Refusal.NotResumable);
            }

            return member.IsAway
                ? Decision<MemberAway>.Refuse(Refusal.Unchanged)
                : Decision<MemberAway>.Accept(new MemberAway(clientId, now.AddSeconds(room.ResumeWindowSeconds)), room.Version);
        }
    }

    /// <summary>A timed-out away member leaves for good (`timeout`), only while it is still away past its window.</summary>
    public static Decision<MemberLeft> DecideTimeout(this Room room, int clientId, DateTimeOffset now, string reason)
    {
        lock (room.Gate)
        {
            var member = room.IsClosed ? null : room.Find(clientId);
            return member is { IsAway: true } && member.AwayUntil <= now
                ? Decision<MemberLeft>.Accept(new MemberLeft(clientId, reason, null, SuccessionAfter(room, clientId)), room.Version)
                : Decision<MemberLeft>.Refuse(Refusal.Unchanged);
        }
    }

    /// <summary>The member holding <paramref name="tokenDigest"/> comes back on a connection of <paramref name="nodeId"/>.</summary>
    public static Decision<MemberBack> DecideBack(this Room room, ReadOnlySpan<byte> tokenDigest, byte[] newTokenDigest, string nodeId, string joinToken, DateTimeOffset now)
    {
        lock (room.Gate)
        {
            if (room.IsClosed)
            {
                return Decision<MemberBack>.Refuse(Refusal.RoomClosed);
            }

            Session? found = null;
            foreach (var member in room.Members)
            {
                // Every member's digest is compared, in constant time: nothing tells which one was close.
                if (member.ResumeTokenDigest is { } digest
                    && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(digest, tokenDigest))
                {
                    found = member;
                }
            }

            if (found is null || !found.Resumable || room.ResumeWindowSeconds == 0)
            {
                return Decision<MemberBack>.Refuse(Refusal.UnknownToken);
            }

            if (found.IsAway && found.AwayUntil <= now)
            {
                // Its window is over, even if the timeout has not been applied yet.
                return Decision<MemberBack>.Refuse(Refusal.UnknownToken);
            }

            return Decision<MemberBack>.Accept(new MemberBack(found.ClientId, nodeId, newTokenDigest, found.IsAway, joinToken), room.Version);
        }
    }

    /// <summary>The host <paramref name="hostId"/> hands its role to <paramref name="clientId"/>.</summary>
    public static Decision<HostTransferred> DecideTransfer(this Room room, int hostId, int clientId)
    {
        lock (room.Gate)
        {
            if (room.IsClosed)
            {
                return Decision<HostTransferred>.Refuse(Refusal.RoomClosed);
            }

            if (HostIdOf(room) != hostId || hostId == 0)
            {
                return Decision<HostTransferred>.Refuse(Refusal.NotHost);
            }

            if (clientId == hostId)
            {
                return Decision<HostTransferred>.Refuse(Refusal.Unchanged);
            }

            return room.Find(clientId) is null
                ? Decision<HostTransferred>.Refuse(Refusal.NotMember)
                : Decision<HostTransferred>.Accept(new HostTransferred(clientId), room.Version);
        }
    }

    /// <summary>A backend's change; a null leaves a value as it is. Lowering the seats keeps present clients.</summary>
    public static Decision<RoomUpdated> DecideUpdate(this Room room, int? maxClients, bool? locked, RoomMetadata? metadata, int? resumeWindowSeconds)
    {
        if (maxClients is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(max, 1, nameof(maxClients));
        }

        lock (room.Gate)
        {
            return room.IsClosed
                ? Decision<RoomUpdated>.Refuse(Refusal.RoomClosed)
                : Decision<RoomUpdated>.Accept(new RoomUpdated(
                    maxClients ?? room.MaxClients,
                    locked ?? room.Locked,
                    metadata ?? room.Metadata,
                    resumeWindowSeconds ?? room.ResumeWindowSeconds), room.Version);
        }
    }

    /// <summary>Closes the room; with <paramref name="requiredHostId"/> (a host's `close_room`), only while that client is host.</summary>
    public static Decision<RoomClosed> DecideClose(this Room room, string reason, ushort closeCode, string? message = null, int requiredHostId = 0)
    {
        lock (room.Gate)
        {
            if (room.IsClosed)
            {
                return Decision<RoomClosed>.Refuse(Refusal.RoomClosed);
            }

            return requiredHostId != 0 && HostIdOf(room) != requiredHostId
                ? Decision<RoomClosed>.Refuse(Refusal.NotHost)
                : Decision<RoomClosed>.Accept(new RoomClosed(reason, closeCode, message), room.Version);
        }
    }

    /// <summary>Expiry: closes the room only when it has been empty for at least <paramref name="ttl"/>.</summary>
    public static Decision<RoomClosed> DecideExpire(this Room room, DateTimeOffset now, TimeSpan ttl, string reason)
    {
        lock (room.Gate)
        {
            return room.IsClosed || room.ClientCount > 0 || room.EmptySince is not { } since || now - since < ttl
                ? Decision<RoomClosed>.Refuse(Refusal.Unchanged)
                : Decision<RoomClosed>.Accept(new RoomClosed(reason, CloseCodes.RoomClosed, null), room.Version);
        }
    }

    /// <summary>
    /// The host rule for the departure of <paramref name="clientId"/> (under the gate): nothing when it is not the
    /// host; else the protocol's action, passing the role to the longest-connected member that is not away (to an
    /// away one only when all are away).
    /// </summary>
    private static HostSuccession SuccessionAfter(Room room, int clientId)
    {
        if (HostIdOf(room) != clientId)
        {
            return HostSuccession.Unchanged;
        }

        switch (room.Protocol.OnHostLeft(room.HostAssignment))
        {
            case HostLeftAction.CloseRoom:
                return new HostSuccession(SuccessionKind.CloseRoom, 0);
            case HostLeftAction.NoHost:
                return new HostSuccession(SuccessionKind.NoHost, 0);
        }

        Session? away = null;
        foreach (var member in room.Members)
        {
            if (member.ClientId == clientId)
            {
                continue;
            }

            if (!member.IsAway)
            {
                return new HostSuccession(SuccessionKind.PassTo, member.ClientId);
            }

            away ??= member;
        }

        return away is null ? new HostSuccession(SuccessionKind.NoHost, 0) : new HostSuccession(SuccessionKind.PassTo, away.ClientId);
    }

    /// <summary>The host's client id, 0 when the room has no host.</summary>
    private static int HostIdOf(Room room) => room.HostId ?? 0;
}
