using System.Globalization;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Protocols;
using Relay.Domain.Rooms;
using Relay.Domain.Sessions;
using StackExchange.Redis;

namespace Relay.Infrastructure.Rooms.Redis;

/// <summary>Talking to Redis: scripts, errors, snapshots and the rooms built from them.</summary>
public sealed partial class RedisRoomManager
{
    private RedisKey RoomKey(string id) => $"{_prefix}:r:{id}";

    private RedisChannel ChannelOf(string id) => RedisChannel.Literal($"{_prefix}:c:{id}");

    private async Task<RedisResult> EvalAsync(string script, string roomId, RedisValue[] args)
    {
        var values = new RedisValue[args.Length + 2];
        values[0] = _prefix;
        values[1] = roomId;
        args.CopyTo(values, 2);
        return await Guard(() => Db.ScriptEvaluateAsync(script, values: values));
    }

    private async Task TryEvalAsync(string script, string roomId, RedisValue[] args)
    {
        try
        {
            await EvalAsync(script, roomId, args);
        }
        catch (RoomStoreUnavailableException e)
        {
            LogStoreError(_logger, "cleanup", e.Message);
        }
    }

    /// <summary>The arguments of the <c>Leave</c> script for a member that is simply gone (`disconnected`).</summary>
    private static RedisValue[] DisconnectedArgs(int clientId) => [clientId, LeaveReasons.Disconnected, Flagged.Encode(null), 0];

    /// <summary>Gives back the seat of a member that is gone (best effort: logged when Redis is out).</summary>
    private Task ReleaseSeatAsync(string roomId, int clientId) => TryEvalAsync(RedisScripts.Leave, roomId, DisconnectedArgs(clientId));

    private async Task<T> Guard<T>(Func<Task<T>> call)
    {
        if (_crashed)
        {
            throw new RoomStoreUnavailableException("This node is stopped.");
        }

        try
        {
            return await call();
        }
        catch (RedisException e)
        {
            throw new RoomStoreUnavailableException("Redis is unavailable: " + e.Message, e);
        }
    }

    private static MemberChange MemberResult(long result) => result switch
    {
        1 => MemberChange.Done,
        -1 => MemberChange.RoomNotFound,
        -2 => MemberChange.NotHost,
        _ => MemberChange.UnknownClient,
    };

    private async Task<RoomSnapshot?> SnapshotAsync(string id)
    {
        var result = await EvalAsync(RedisScripts.Snapshot, id, []);
        if (result.IsNull)
        {
            return null;
        }

        var parts = (RedisResult[])result!;
        var fields = Pairs((RedisResult[])parts[0]!);
        var members = new SortedDictionary<int, MemberEntry>();
        foreach (var (key, value) in Pairs((RedisResult[])parts[1]!))
        {
            var segments = value.Split('|', 3);
            members[int.Parse(key, CultureInfo.InvariantCulture)] = new MemberEntry(
                segments[0],
                DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(segments[1], CultureInfo.InvariantCulture)),
                Flagged.Decode(segments[2]));
        }

        return new RoomSnapshot(
            Convert.FromHexString(fields["sec"]),
            Convert.FromHexString(fields["hsec"]),
            fields["proto"],
            fields["ha"] == "secret" ? HostAssignment.Secret : HostAssignment.First,
            int.Parse(fields["max"], CultureInfo.InvariantCulture),
            fields["locked"] == "1",
            RoomMetadata.FromJson(fields["meta"]),
            DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(fields["created"], CultureInfo.InvariantCulture)),
            int.Parse(fields["host"], CultureInfo.InvariantCulture) is var host and > 0 ? host : null,
            long.Parse(fields["seq"], CultureInfo.InvariantCulture),
            members);
    }

    private static Dictionary<string, string> Pairs(RedisResult[] flat)
    {
        var pairs = new Dictionary<string, string>(flat.Length / 2, StringComparer.Ordinal);
        for (var i = 0; i + 1 < flat.Length; i += 2)
        {
            pairs[flat[i].ToString()] = flat[i + 1].ToString();
        }

        return pairs;
    }

    private Room BuildRoom(string id, RoomSnapshot snapshot)
    {
        var protocol = _protocols.TryGet(snapshot.Protocol, out var p) ? p : _protocols.Get(MeshProtocol.ProtocolName);
        var room = new Room(id, SecretHash.FromDigest(snapshot.SecretDigest), SecretHash.FromDigest(snapshot.HostSecretDigest),
            protocol, snapshot.HostAssignment, snapshot.MaxClients, snapshot.Metadata, snapshot.CreatedAt);
        room.Update(null, snapshot.Locked, null);
        foreach (var (clientId, entry) in snapshot.Members)
        {
            room.JoinAs(Session.Remote(entry.Node, entry.JoinedAt), clientId, entry.Name, snapshot.HostId == clientId, entry.JoinedAt);
        }

        return room;
    }
}
