using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relay.Application.Abstractions;
using Relay.Application.Common.Options;

namespace Relay.Infrastructure.Rooms.Redis;

/// <summary>
/// Connects the cluster room manager at start-up and keeps the cluster healthy: a heartbeat four times per
/// `Relay:Redis:HeartbeatSeconds`; members of a node silent for 1.5 intervals are removed (so within two
/// intervals of its death); rooms empty for `Relay:EmptyRoomTtlSeconds` expire. A node sweeps for dead peers
/// only after it has been connected for two intervals, so that peers coming back from an outage with it
/// get the chance to heartbeat first.
/// </summary>
public sealed partial class RedisClusterService(
    RedisRoomManager manager,
    IOptions<RelayOptions> options,
    TimeProvider timeProvider,
    ILogger<RedisClusterService> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await manager.ConnectAsync();
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.Redis.HeartbeatSeconds);
        var tick = interval / 4;
        var deadAfter = interval * 1.5;

        // After any node recovers from an outage, nobody is taken for dead for a while: nodes reconnect one by one.
        var recoveryGrace = TimeSpan.FromSeconds(5) + (interval * 2);
        var ttlSeconds = options.Value.EmptyRoomTtlSeconds;
        var expiryEvery = TimeSpan.FromSeconds(Math.Clamp(ttlSeconds / 10.0, 1, 30));
        var lastExpiry = timeProvider.GetUtcNow();
        DateTimeOffset? connectedSince = null;
        using var timer = new PeriodicTimer(tick, timeProvider);
        try
        {
            do
            {
                if (manager.IsCrashed)
                {
                    return;
                }

                var now = timeProvider.GetUtcNow();
                if (!manager.IsAvailable)
                {
                    connectedSince = null;
                    continue;
                }

                connectedSince ??= now;
                manager.DropIdleReplicas();
                try
                {
                    await manager.HeartbeatAsync();
                    if (now - connectedSince >= interval * 2)
                    {
                        await manager.RemoveDeadNodesMembersAsync(deadAfter, recoveryGrace);
                    }

                    if (ttlSeconds > 0 && now - lastExpiry >= expiryEvery)
                    {
                        lastExpiry = now;
                        await manager.ExpireEmptyRoomsAsync(TimeSpan.FromSeconds(ttlSeconds));
                    }
                }
                catch (Exception e) when (e is StackExchange.Redis.RedisException or RoomStoreUnavailableException)
                {
                    LogMaintenanceFailed(logger, e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster maintenance failed: {Error}")]
    private static partial void LogMaintenanceFailed(ILogger logger, string error);
}
