using System.Globalization;
using Relay.Application.Abstractions;
using Relay.Application.Common.Options;
using Relay.Application.Protocols;
using Relay.Domain.Rooms;
using StackExchange.Redis;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>What a commit script answered.</summary>
internal enum StoreResult
{
    Committed,
    RoomGone,
    DeadlinePassed,
    OutOfDate,
    SeqAhead,
    HistoryGap,
}

/// <summary>A commit's answer: with <see cref="StoreResult.Committed"/>, the event's seq; with <see cref="StoreResult.OutOfDate"/>, the stored version.</summary>
internal readonly record struct StoreAnswer(StoreResult Result, long Seq, long Version, IReadOnlyList<RedisValue>? History = null);

/// <summary>
/// The stored rooms and their scripts, with named results (<see cref="StoreResult"/>) instead of bare numbers. Every
/// call goes through <see cref="RedisConnection.RunAsync"/>: bounded in time, failures as
/// <see cref="RoomStoreUnavailableException"/>.
/// </summary>
internal sealed class RoomStore(RedisConnection redis, RedisKeys keys, ProtocolRegistry protocols, ResumeOptions resume, RoomRelayCounts relays, WebhookStreams? webhooks = null)
{
    /// <summary>How much longer than the budget a deadline-fenced call is waited for.</summary>
    public static readonly TimeSpan FenceMargin = TimeSpan.FromSeconds(1);

    public const long IdTaken = -1;
    public const long LimitReached = -2;

    public RedisKeys Keys => keys;

    public async Task<CreateRoomStatus> CreateAsync(Room room, int maxRooms)
    {
        ArgumentNullException.ThrowIfNull(room);
        var fields = StoredRoom.Fields(room, room.CreatedAt.ToUnixTimeMilliseconds());
        var hook = webhooks?.CreateArgs(room) ?? (RedisValue.EmptyString, RedisValue.EmptyString, RedisValue.EmptyString);
        var values = new List<RedisValue>(11 + (fields.Length * 2))
        {
            keys.Room(room.Id).ToString(), keys.Rooms.ToString(), keys.RoomOrder.ToString(), keys.Empty.ToString(),
            keys.Totals.ToString(), room.Id, maxRooms, room.Protocol.Name, hook.Stream, hook.Bound, hook.Value,
        };
        foreach (var field in fields)
        {
            values.Add(field.Name);
            values.Add(field.Value);
        }

        var result = (long)await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.Create, values: [.. values]));
        return result switch
        {
            IdTaken => CreateRoomStatus.IdTaken,
            LimitReached => CreateRoomStatus.LimitReached,
            _ => CreateRoomStatus.Created,
        };
    }

    /// <summary>The room as stored now, or null; its relay count with what this node counted and Redis had not got.</summary>
    public async Task<RoomSnapshot?> SnapshotAsync(string roomId)
    {
        var result = await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.Snapshot,
            values: [keys.Room(roomId).ToString(), keys.Members(roomId).ToString(), keys.Stats.ToString(), relays.ReportField]));
        if (result.IsNull)
        {
            return null;
        }

        var parts = (RedisResult[])result!;
        var snapshot = StoredRoom.Read(roomId, (RedisResult[])parts[0]!, (RedisResult[])parts[1]!, protocols);
        var unreported = relays.Unreported(roomId, snapshot.Settings.Epoch, parts[2].ToString());
        return unreported == 0 ? snapshot : snapshot with { MessagesRelayed = snapshot.MessagesRelayed + unreported };
    }

    /// <summary>Commits <paramref name="e"/> with <paramref name="effects"/> if the stored version is still <paramref name="version"/>.</summary>
    public async Task<StoreAnswer> CommitAsync(Room room, RoomEvent e, long version, StoredEffects effects)
    {
        var values = CommitValues(room, e, version, effects, extra: []);
        var result = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.Commit, values: values), wait: redis.Budget + FenceMargin))!;
        return Answer(result);
    }

    /// <summary>A member's return, committed together with reading what it missed after <paramref name="afterSeq"/>.</summary>
    public async Task<StoreAnswer> CommitResumeAsync(Room room, MemberBack e, long version, StoredEffects effects, long afterSeq, long clientSeq)
    {
        var values = CommitValues(room, e, version, effects, extra: [afterSeq, clientSeq]);
        var result = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.CommitResume, values: values), wait: redis.Budget + FenceMargin))!;
        var answer = Answer(result);
        if (answer.Result != StoreResult.Committed)
        {
            return answer;
        }

        var history = new RedisValue[result.Length - 2];
        for (var i = 2; i < result.Length; i++)
        {
            history[i - 2] = (RedisValue)result[i];
        }

        return answer with { History = history };
    }

    /// <summary>What <see cref="SequenceAsync"/> answers when Redis refused the relay because its deadline had passed.</summary>
    public const long DeadlinePassedSeq = -3;

    /// <summary>
    /// Numbers, keeps and publishes a relay of a sequenced room: its seq, 0 when its room or sender is gone, or
    /// <see cref="DeadlinePassedSeq"/> when it reached Redis too late (a stall: then it is not relayed at all, so a sender
    /// told `unavailable` never sees it delivered later).
    /// </summary>
    public async Task<long> SequenceAsync(Room room, RelayMessage relay)
    {
        var roomId = room.Id;
        RedisValue[] values =
        [
            keys.Room(roomId).ToString(), keys.Members(roomId).ToString(), keys.Channel(roomId).ToString(), keys.History(roomId).ToString(),
            RoomEventCodec.KindChar(relay.Kind).ToString(), relay.SenderId, RoomEventCodec.AudienceSpec(relay.Audience, relay.ToHost),
            relay.Payload, resume.HistoryMessages, resume.HistoryBytes, WindowMs(room.ResumeWindowSeconds), redis.Deadline(),
        ];
        return (long)await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.Sequence, values: values), wait: redis.Budget + FenceMargin);
    }

    /// <summary>The room's history after <paramref name="afterSeq"/>: null when there is no room; empty Messages when incomplete.</summary>
    public async Task<(bool Complete, long Seq, RedisValue[] Messages)?> ReadHistoryAsync(string roomId, long afterSeq)
    {
        var result = await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.ReadHistory,
            values: [keys.Room(roomId).ToString(), keys.History(roomId).ToString(), afterSeq]));
        if (result.IsNull)
        {
            return null;
        }

        var parts = (RedisResult[])result!;
        if ((long)parts[0] != 1)
        {
            return (false, 0, []);
        }

        var messages = new RedisValue[parts.Length - 2];
        for (var i = 2; i < parts.Length; i++)
        {
            messages[i - 2] = (RedisValue)parts[i];
        }

        return (true, (long)parts[1], messages);
    }

    /// <summary>The stored membership version of a room (-1 when it is gone).</summary>
    public async Task<long> VersionAsync(string roomId)
    {
        var value = await redis.RunAsync(db => db.HashGetAsync(keys.Room(roomId), "ver"));
        return value.IsNull ? -1 : (long)value;
    }

    /// <summary>The stored seq of each room (-1 for a room that is gone), in one round trip.</summary>
    public async Task<long[]> SeqsAsync(IReadOnlyList<string> roomIds)
    {
        var reads = roomIds.Select(id => redis.RunAsync(db => db.HashGetAsync(keys.Room(id), "seq"))).ToArray();
        var values = await Task.WhenAll(reads);
        return [.. values.Select(v => v.IsNull ? -1 : (long)v)];
    }

    public async Task<RoomPage> ListAsync(int offset, int limit, Func<RoomSnapshot, Room> build)
    {
        var page = redis.RunAsync(db => db.SortedSetRangeByRankAsync(keys.Rooms, offset, offset + limit - 1));
        var count = redis.RunAsync(db => db.SortedSetLengthAsync(keys.Rooms));
        var ids = await page;
        var total = await count;
        var snapshots = await Task.WhenAll(ids.Select(id => SnapshotAsync(id.ToString())));
        var rooms = new List<Room>(ids.Length);
        foreach (var snapshot in snapshots)
        {
            if (snapshot is not null)
            {
                rooms.Add(build(snapshot));
            }
        }

        return new RoomPage(rooms, (int)total);
    }

    /// <summary>
    /// Rooms, clients and rooms by protocol over the whole cluster, with the relay counts of every node but
    /// <paramref name="nodeId"/> (what it reported is taken out in the same atomic read; the caller adds its live counts).
    /// </summary>
    public async Task<(int Rooms, int Clients, Dictionary<string, int> ByProtocol, long Messages, long Bytes)> TotalsAsync(string nodeId)
    {
        var roomCount = redis.RunAsync(db => db.SortedSetLengthAsync(keys.Rooms));
        var counters = redis.RunAsync(db => db.HashGetAllAsync(keys.Totals));
        var stats = redis.RunAsync(db => db.HashGetAsync(keys.Stats, ["messages", "bytes", "m:" + nodeId, "b:" + nodeId]));
        var rooms = await roomCount;
        var totals = await counters;
        var relayed = await stats;
        var clients = 0;
        var byProtocol = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in totals)
        {
            var name = entry.Name.ToString();
            if (name == "clients")
            {
                clients = (int)entry.Value;
            }
            else if (name.StartsWith("proto:", StringComparison.Ordinal))
            {
                byProtocol[name["proto:".Length..]] = (int)entry.Value;
            }
        }

        return ((int)rooms, clients, byProtocol, Count(relayed[0]) - Count(relayed[2]), Count(relayed[1]) - Count(relayed[3]));

        static long Count(RedisValue value) => value.IsNull ? 0 : (long)value;
    }

    private RedisValue[] CommitValues(Room room, RoomEvent e, long version, StoredEffects effects, RedisValue[] extra)
    {
        var sequenced = room.IsSequenced || (e is RoomUpdated u && u.ResumeWindowSeconds > 0);
        var head = new RedisValue[]
        {
            keys.Room(room.Id).ToString(), keys.Channel(room.Id).ToString(), version, redis.Deadline(), e.Width,
            RoomEventCodec.EncodeEvent(e), sequenced ? keys.History(room.Id).ToString() : string.Empty,
            resume.HistoryMessages, resume.HistoryBytes, WindowMs(room.ResumeWindowSeconds),
        };
        var hooks = new List<RedisValue>();
        webhooks?.AddOps(room, e, hooks);
        var values = new RedisValue[head.Length + extra.Length + effects.Ops.Count + hooks.Count];
        head.CopyTo(values, 0);
        extra.CopyTo(values, head.Length);
        for (var i = 0; i < effects.Ops.Count; i++)
        {
            values[head.Length + extra.Length + i] = effects.Ops[i];
        }

        // The webhook events go in the same script as the commit: stored exactly when the event is.
        hooks.CopyTo(values, head.Length + extra.Length + effects.Ops.Count);
        return values;
    }

    private static StoreAnswer Answer(RedisResult[] result) => (long)result[0] switch
    {
        1 => new StoreAnswer(StoreResult.Committed, (long)result[1], 0),
        -2 => new StoreAnswer(StoreResult.RoomGone, 0, 0),
        -3 => new StoreAnswer(StoreResult.DeadlinePassed, 0, 0),
        -4 => new StoreAnswer(StoreResult.OutOfDate, 0, (long)result[1]),
        -5 => new StoreAnswer(StoreResult.SeqAhead, 0, 0),
        _ => new StoreAnswer(StoreResult.HistoryGap, 0, 0),
    };

    private static long WindowMs(int seconds) => Math.Max(seconds, 1) * 1000L;

    /// <summary>A number as a script argument.</summary>
    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
