using System.Globalization;
using Relay.Domain.Rooms;
using StackExchange.Redis;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>
/// What an event does to the stored room, as a list of plain Redis writes for the commit script to run — the
/// mirror of <see cref="Room"/>'s <c>Apply*</c> for the stored state. Nothing here decides: the event was decided by the
/// room's rules against the room at the version the commit checks, so the state it reads here (which
/// node holds a member, who is away) is the state the writes apply to. A value may hold the script's placeholders
/// <c>"{seq}"</c> (the event's sequence number) and <c>"{now}"</c> (Redis' time in ms).
/// </summary>
internal sealed class StoredEffects(RedisKeys keys, string localNode, string roomId)
{
    public const string Seq = "\"{seq}\"";
    public const string Now = "\"{now}\"";

    private readonly List<RedisValue> _ops = [];

    /// <summary>The writes, four values each (operation, key, two arguments).</summary>
    public IReadOnlyList<RedisValue> Ops => _ops;

    /// <summary>The writes of <paramref name="e"/> on <paramref name="room"/>, whose local members are stored under <paramref name="localNode"/>.</summary>
    public static StoredEffects For(RedisKeys keys, string localNode, Room room, RoomEvent e)
    {
        ArgumentNullException.ThrowIfNull(room);
        var effects = new StoredEffects(keys, localNode, room.Id);
        lock (room.Gate)
        {
            switch (e)
            {
                case MemberJoined j:
                    effects.Join(j, room.ClientCount == 0);
                    break;
                case MemberLeft l:
                    effects.Leave(room, l);
                    break;
                case MemberAway a:
                    effects.Away(room, a);
                    break;
                case MemberBack b:
                    effects.Back(room, b);
                    break;
                case HostTransferred h:
                    effects.Op("hset", keys.Room(room.Id), "host", h.HostId);
                    break;
                case RoomUpdated u:
                    effects.Op("hset", keys.Room(room.Id), "max", u.MaxClients);
                    effects.Op("hset", keys.Room(room.Id), "locked", u.Locked ? 1 : 0);
                    effects.Op("hset", keys.Room(room.Id), "meta", u.Metadata.ToString());
                    effects.Op("hset", keys.Room(room.Id), "rw", u.ResumeWindowSeconds);
                    break;
                case RoomClosed:
                    effects.Close(room);
                    break;
            }
        }

        return effects;
    }

    private void Join(MemberJoined j, bool wasEmpty)
    {
        var member = RedisKeys.MemberRef(roomId, j.ClientId);
        Op("hset", keys.Members(roomId), j.ClientId, StoredRoom.EncodeMember(j, j.NodeId, j.ResumeTokenDigest, null, null));
        Op("sadd", keys.NodeMembers(j.NodeId), member, RedisValue.EmptyString);
        Op("hset", keys.Room(roomId), "last", j.ClientId);
        Op("hincrby", keys.Totals, "clients", 1);
        if (j.BecomesHost)
        {
            Op("hset", keys.Room(roomId), "host", j.ClientId);
        }

        if (wasEmpty)
        {
            Op("hset", keys.Room(roomId), "empty", RedisValue.EmptyString);
            Op("zrem", keys.Empty, roomId, RedisValue.EmptyString);
        }
    }

    private void Leave(Room room, MemberLeft l)
    {
        var member = room.Find(l.ClientId);
        if (l.Succession.Kind == SuccessionKind.CloseRoom)
        {
            Close(room);
            return;
        }

        Forget(member, l.ClientId);
        Op("hdel", keys.Members(roomId), l.ClientId, RedisValue.EmptyString);
        Op("hincrby", keys.Totals, "clients", -1);
        switch (l.Succession.Kind)
        {
            case SuccessionKind.PassTo:
                Op("hset", keys.Room(roomId), "host", l.Succession.NextHostId);
                break;
            case SuccessionKind.NoHost:
                Op("hset", keys.Room(roomId), "host", 0);
                break;
        }

        if (room.ClientCount <= 1)
        {
            Op("hset", keys.Room(roomId), "empty", Now);
            Op("zadd", keys.Empty, Now, roomId);
        }
    }

    private void Away(Room room, MemberAway a)
    {
        var member = room.Find(a.ClientId);
        if (member is null)
        {
            return;
        }

        Forget(member, a.ClientId);
        Op("hset", keys.Members(roomId), a.ClientId, StoredRoom.EncodeMember(Joined(member), string.Empty, member.ResumeTokenDigest, member.JoinSeq, a.Until));
        Op("zadd", keys.Away, a.Until.ToUnixTimeMilliseconds(), RedisKeys.MemberRef(roomId, a.ClientId));
    }

    private void Back(Room room, MemberBack b)
    {
        var member = room.Find(b.ClientId);
        if (member is null)
        {
            return;
        }

        Forget(member, b.ClientId);
        Op("hset", keys.Members(roomId), b.ClientId, StoredRoom.EncodeMember(Joined(member), b.NodeId, b.ResumeTokenDigest, member.JoinSeq, null));
        Op("sadd", keys.NodeMembers(b.NodeId), RedisKeys.MemberRef(roomId, b.ClientId), RedisValue.EmptyString);
    }

    /// <summary>The room goes, with every member's entries in the node and away sets.</summary>
    private void Close(Room room)
    {
        var count = 0;
        foreach (var member in room.Members)
        {
            Forget(member, member.ClientId);
            count++;
        }

        if (count > 0)
        {
            Op("hincrby", keys.Totals, "clients", -count);
        }

        Op("hincrby", keys.Totals, "proto:" + room.Protocol.Name, -1);
        Op("zrem", keys.Rooms, roomId, RedisValue.EmptyString);
        Op("zrem", keys.Empty, roomId, RedisValue.EmptyString);
        Op("del", keys.Members(roomId), RedisValue.EmptyString, RedisValue.EmptyString);
        Op("del", keys.History(roomId), RedisValue.EmptyString, RedisValue.EmptyString);
        Op("del", keys.Room(roomId), RedisValue.EmptyString, RedisValue.EmptyString);
    }

    /// <summary>Takes a member out of the set that lists it now: its node's, or the away set.</summary>
    private void Forget(Session? member, int clientId)
    {
        var reference = RedisKeys.MemberRef(roomId, clientId);
        if (member is null)
        {
            return;
        }

        if (member.IsAway)
        {
            Op("zrem", keys.Away, reference, RedisValue.EmptyString);
        }
        else
        {
            Op("srem", keys.NodeMembers(member.NodeId ?? localNode), reference, RedisValue.EmptyString);
        }
    }

    private MemberJoined Joined(Session member) =>
        new(member.ClientId, member.Name, member.UserId, member.NodeId ?? localNode, member.JoinedAt, false, member.Resumable, member.ResumeTokenDigest, string.Empty);

    private void Op(string op, RedisKey key, RedisValue a, RedisValue b)
    {
        _ops.Add(op);
        _ops.Add(key.ToString());
        _ops.Add(a);
        _ops.Add(b);
    }

    private void Op(string op, RedisKey key, int a, RedisValue b) => Op(op, key, a.ToString(CultureInfo.InvariantCulture), b);
}
