using Relay.Application.Common;
using StackExchange.Redis;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>
/// Which nodes are alive, and the cleanup of those that are not: heartbeats (which also add this node's relay counts
/// to the cluster's, so the counts never fall when a node restarts, and keep its own share only while it is listed, so
/// the stats hash never grows with node ids; and add its relays per room to the rooms, see <see cref="RoomRelayCounts"/>),
/// leases on dead nodes (one survivor cleans each up, crash-safe: a node is forgotten only once its member set is
/// empty), and the lists of what is due (expired rooms, ended away windows).
/// </summary>
internal sealed class NodeLiveness(RedisConnection redis, RedisKeys keys, string nodeId, RelayStats stats, RoomRelayCounts relays)
{
    /// <summary>
    /// Reports this node's heartbeat with its relay counts so far and its relays per room since the last report, in
    /// one script call (idempotent: see <see cref="RedisScripts.Heartbeat"/>).
    /// </summary>
    public async Task HeartbeatAsync()
    {
        var report = relays.Next(keys);
        var values = new RedisValue[6 + ((report?.Entries.Count ?? 0) * 3)];
        values[0] = keys.Nodes.ToString();
        values[1] = keys.Stats.ToString();
        values[2] = nodeId;
        values[3] = stats.MessagesRelayed;
        values[4] = stats.BytesRelayed;
        values[5] = report?.Id ?? string.Empty;
        for (var i = 0; i < (report?.Entries.Count ?? 0); i++)
        {
            var entry = report!.Entries[i];
            values[6 + (i * 3)] = entry.RoomKey;
            values[7 + (i * 3)] = entry.Epoch;
            values[8 + (i * 3)] = entry.Count;
        }

        await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.Heartbeat, values: values));
        if (report is not null)
        {
            relays.Answered(report);
        }
    }

    /// <summary>This node is back after an outage: nobody is taken for dead for a while (the others reconnect one by one).</summary>
    public Task RecoveredAsync() =>
        redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.Recovered, values: [keys.Recovered.ToString()]));

    /// <summary>
    /// This node stops: it reports its last counts and is no longer listed (its members are taken out by the shutdown
    /// itself).
    /// </summary>
    public async Task LeaveAsync()
    {
        await HeartbeatAsync();
        await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.NodeLeft,
            values: [keys.Nodes.ToString(), keys.Stats.ToString(), nodeId]));
    }

    /// <summary>The dead nodes this node now holds the lease to clean up.</summary>
    public async Task<string[]> ClaimDeadAsync(TimeSpan deadAfter, TimeSpan recoveryGrace, TimeSpan lease)
    {
        var claimed = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.ClaimDeadNodes,
            values:
            [
                keys.Nodes.ToString(), keys.Recovered.ToString(), keys.Prefix + ":claim:", nodeId,
                (long)deadAfter.TotalMilliseconds, (long)recoveryGrace.TotalMilliseconds, (long)lease.TotalMilliseconds,
            ])))!;
        return [.. claimed.Select(c => c.ToString())];
    }

    /// <summary>A dead node's members, as <c>room|client</c>.</summary>
    public async Task<string[]> MembersOfAsync(string node)
    {
        var members = await redis.RunAsync(db => db.SetMembersAsync(keys.NodeMembers(node)));
        return [.. members.Select(m => m.ToString())];
    }

    /// <summary>Takes a stale entry out of a dead node's member set (its room or seat is already gone).</summary>
    public Task ForgetMemberAsync(string node, string member) =>
        redis.RunAsync(db => db.SetRemoveAsync(keys.NodeMembers(node), member));

    /// <summary>Forgets a dead node whose members are all taken out; false while some remain.</summary>
    public async Task<bool> ClearAsync(string node) =>
        (long)await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.NodeCleared,
            values: [keys.Nodes.ToString(), keys.NodeMembers(node).ToString(), keys.Claim(node).ToString(), node, keys.Stats.ToString()])) == 1;

    /// <summary>Rooms empty for longer than <paramref name="ttl"/> (at most 100).</summary>
    public Task<string[]> ExpiredRoomsAsync(TimeSpan ttl) => DueAsync(keys.Empty, ttl);

    /// <summary>Away members (<c>room|client</c>) whose window is over (at most 100).</summary>
    public Task<string[]> EndedAwayWindowsAsync() => DueAsync(keys.Away, TimeSpan.Zero);

    /// <summary>Takes a stale entry out of a due list.</summary>
    public Task ForgetDueAsync(bool away, string member) =>
        redis.RunAsync(db => db.SortedSetRemoveAsync(away ? keys.Away : keys.Empty, member));

    private async Task<string[]> DueAsync(RedisKey key, TimeSpan offset)
    {
        var due = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.Due,
            values: [key.ToString(), (long)offset.TotalMilliseconds])))!;
        return [.. due.Select(d => d.ToString())];
    }
}
