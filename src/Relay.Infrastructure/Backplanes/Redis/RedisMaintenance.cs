using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relay.Application.Abstractions;
using Relay.Application.Common.Options;
using Relay.Application.Rooms.Membership;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>
/// Connects the cluster backplane at start-up and keeps the cluster healthy, four times per
/// `Relay:Redis:HeartbeatSeconds`: a readiness probe (at least once a second), the heartbeat, the cleanup of nodes
/// silent for 1.5 intervals (their resumable clients become away, the others leave), the periodic check of every
/// room copy against Redis, ended away windows, expired empty rooms, and the seats this node could not give back
/// while Redis was out. A node sweeps for dead peers only after it has been connected for two intervals, and nobody
/// is taken for dead right after an outage. Nothing here can stop the node: every failure is logged and retried.
/// </summary>
public sealed partial class RedisMaintenance(
    RedisBackplane backplane,
    RoomMembership membership,
    Orphans orphans,
    IOptions<RelayOptions> options,
    TimeProvider timeProvider,
    ILogger<RedisMaintenance> logger) : BackgroundService
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(2);
    private volatile bool _recovered;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await backplane.ConnectAsync();
        backplane.Restored += () => _recovered = true;
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await backplane.Liveness.LeaveAsync();
        }
        catch (RoomStoreUnavailableException)
        {
            // The others will take this node for dead instead.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(backplane.Options.HeartbeatSeconds);
        var tick = TimeSpan.FromMilliseconds(Math.Min(interval.TotalMilliseconds / 4, 1000));
        var deadAfter = interval * 1.5;
        var recoveryGrace = TimeSpan.FromSeconds(5) + (interval * 2);
        var ttlSeconds = options.Value.EmptyRoomTtlSeconds;
        var expiryEvery = TimeSpan.FromSeconds(Math.Clamp(ttlSeconds / 10.0, 1, 30));
        var lastExpiry = timeProvider.GetUtcNow();
        var lastCheck = timeProvider.GetUtcNow();
        DateTimeOffset? connectedSince = null;
        using var timer = new PeriodicTimer(tick, timeProvider);
        do
        {
            try
            {
                var now = timeProvider.GetUtcNow();
                await backplane.Connection.ProbeAsync();
                if (!backplane.IsAvailable)
                {
                    connectedSince = null;
                    continue;
                }

                connectedSince ??= now;
                if (_recovered)
                {
                    _recovered = false;
                    await backplane.Liveness.RecoveredAsync();
                    backplane.Replicas.ResyncAll("reconnect");
                }

                backplane.DropIdleReplicas();
                await backplane.Liveness.HeartbeatAsync();
                if (orphans.Count > 0)
                {
                    await membership.ReleaseOrphansAsync(stoppingToken);
                }

                if (now - lastCheck >= CheckEvery)
                {
                    lastCheck = now;
                    await backplane.CheckReplicasAsync();
                }

                if (now - connectedSince >= interval * 2)
                {
                    await CleanUpDeadNodesAsync(deadAfter, recoveryGrace, interval * 4, stoppingToken);
                }

                await EndAwayWindowsAsync(stoppingToken);
                if (ttlSeconds > 0 && now - lastExpiry >= expiryEvery)
                {
                    lastExpiry = now;
                    await ExpireRoomsAsync(TimeSpan.FromSeconds(ttlSeconds), stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A Redis that stalls or drops (RoomStoreUnavailableException) is the usual one; anything else is a bug,
                // but must not stop the node either.
                LogMaintenanceFailed(logger, e.GetType().Name, e.Message);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Takes the members of every dead node this node holds the lease for out of their rooms.</summary>
    private async Task CleanUpDeadNodesAsync(TimeSpan deadAfter, TimeSpan recoveryGrace, TimeSpan lease, CancellationToken cancellationToken)
    {
        foreach (var node in await backplane.Liveness.ClaimDeadAsync(deadAfter, recoveryGrace, lease))
        {
            var removed = 0;
            foreach (var group in (await backplane.Liveness.MembersOfAsync(node)).GroupBy(RoomOf))
            {
                var room = await backplane.ReadAsync(group.Key, cancellationToken);
                foreach (var member in group)
                {
                    if (room is null || !RedisKeys.TryParseMemberRef(member, out _, out var clientId) || room.Find(clientId) is not { NodeId: var at } || at != node)
                    {
                        await backplane.Liveness.ForgetMemberAsync(node, member);
                        continue;
                    }

                    removed += await membership.DropAsync(room, clientId, cancellationToken) ? 1 : 0;
                }
            }

            await backplane.Liveness.ClearAsync(node);
            if (removed > 0)
            {
                LogDeadNode(logger, node, removed);
            }
        }
    }

    private async Task EndAwayWindowsAsync(CancellationToken cancellationToken)
    {
        foreach (var group in (await backplane.Liveness.EndedAwayWindowsAsync()).GroupBy(RoomOf))
        {
            var room = await backplane.ReadAsync(group.Key, cancellationToken);
            if (room is not null)
            {
                await membership.EndAwayWindowsAsync(room, cancellationToken);
            }

            foreach (var member in group)
            {
                // Whatever is still listed is stale: the member left, came back, or the room is gone.
                if (room is null || !RedisKeys.TryParseMemberRef(member, out _, out var clientId) || room.Find(clientId) is not { IsAway: true })
                {
                    await backplane.Liveness.ForgetDueAsync(away: true, member);
                }
            }
        }
    }

    private async Task ExpireRoomsAsync(TimeSpan ttl, CancellationToken cancellationToken)
    {
        foreach (var id in await backplane.Liveness.ExpiredRoomsAsync(ttl))
        {
            var room = await backplane.ReadAsync(id, cancellationToken);
            if (room is null)
            {
                await backplane.Liveness.ForgetDueAsync(away: false, id);
                continue;
            }

            if (await membership.ExpireAsync(room, ttl, cancellationToken))
            {
                LogExpired(logger, id);
            }
        }
    }

    private static string RoomOf(string member) => RedisKeys.TryParseMemberRef(member, out var roomId, out _) ? roomId : member;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster maintenance failed ({Type}): {Error}")]
    private static partial void LogMaintenanceFailed(ILogger logger, string type, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} is dead: took {Count} of its clients out of their rooms")]
    private static partial void LogDeadNode(ILogger logger, string node, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Room {RoomId} expired after being empty")]
    private static partial void LogExpired(ILogger logger, string roomId);
}
