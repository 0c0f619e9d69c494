using System.Globalization;
using Relay.Application.Common;
using Relay.Domain.Sessions;
using StackExchange.Redis;

namespace Relay.Infrastructure.Rooms.Redis;

/// <summary>Cluster upkeep driven by <see cref="RedisClusterService"/>: heartbeat, dead nodes, expiry, idle replicas.</summary>
public sealed partial class RedisRoomManager
{
    internal Task<RedisResult> HeartbeatAsync() =>
        Db.ScriptEvaluateAsync(RedisScripts.Heartbeat, values: [_prefix, NodeId, $"{_stats.MessagesRelayed}|{_stats.BytesRelayed}"]);

    /// <summary>Removes the members of nodes silent for longer than <paramref name="deadAfter"/>; returns how many.</summary>
    internal async Task<int> RemoveDeadNodesMembersAsync(TimeSpan deadAfter, TimeSpan recoveryGrace)
    {
        var claimed = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.ClaimDeadNodes,
            values: [_prefix, NodeId, (long)deadAfter.TotalMilliseconds, (long)recoveryGrace.TotalMilliseconds]))!;
        var removed = 0;
        foreach (var entry in claimed)
        {
            var text = entry.ToString();
            var bar = text.LastIndexOf('|');
            if (bar > 0 && int.TryParse(text.AsSpan(bar + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var clientId))
            {
                var result = (long)await EvalAsync(RedisScripts.Leave, text[..bar], DisconnectedArgs(clientId));
                removed += result == 1 ? 1 : 0;
            }
        }

        if (removed > 0)
        {
            LogDeadNodeMembers(_logger, removed);
        }

        return removed;
    }

    /// <summary>Closes rooms empty for longer than <paramref name="ttl"/> (`room_closed` `expired`); returns how many.</summary>
    internal async Task<int> ExpireEmptyRoomsAsync(TimeSpan ttl)
    {
        var ids = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.ExpiredRooms, values: [_prefix, (long)ttl.TotalMilliseconds]))!;
        var expired = 0;
        foreach (var id in ids)
        {
            var result = (long)await EvalAsync(RedisScripts.Close, id.ToString(),
                [RoomClosedReasons.Expired, (int)CloseCodes.RoomClosed, Flagged.Encode(null), 0, "1"]);
            expired += result == 1 ? 1 : 0;
        }

        return expired;
    }

    /// <summary>
    /// Test hook: the node stops as if its process died: no heartbeats, no more events, its connections dropped,
    /// its members left in Redis for the surviving nodes to remove.
    /// </summary>
    internal void SimulateCrash()
    {
        _crashed = true;
        foreach (var replica in _replicas.Values)
        {
            lock (replica.Sync)
            {
                if (replica.Room is not null)
                {
                    foreach (var member in replica.Room.Members)
                    {
                        member.Close(CloseCodes.GoingAway, "node crashed");
                    }
                }
            }
        }

        _subscriber?.UnsubscribeAll(CommandFlags.FireAndForget);
    }

    internal bool IsCrashed => _crashed;

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}
