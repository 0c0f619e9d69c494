using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relay.Application.Common.Options;

namespace Relay.Infrastructure.Rooms;

/// <summary>
/// Deletes rooms that have had no clients for `Relay:EmptyRoomTtlSeconds` (0 keeps them). Sweeps on a
/// period of a tenth of the TTL, at least every second and at most every 30 seconds.
/// </summary>
public sealed partial class EmptyRoomJanitor(
    InMemoryRoomManager rooms,
    IOptions<RelayOptions> options,
    TimeProvider timeProvider,
    ILogger<EmptyRoomJanitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var ttlSeconds = options.Value.EmptyRoomTtlSeconds;
        if (ttlSeconds == 0)
        {
            return;
        }

        var ttl = TimeSpan.FromSeconds(ttlSeconds);
        var period = TimeSpan.FromSeconds(Math.Clamp(ttlSeconds / 10.0, 1, 30));
        using var timer = new PeriodicTimer(period, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Sweep(ttl);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Closes every room that has been empty for <paramref name="ttl"/>; returns how many.</summary>
    public int Sweep(TimeSpan ttl)
    {
        var now = timeProvider.GetUtcNow();
        var expired = 0;
        foreach (var room in rooms.Snapshot())
        {
            if (room.EmptySince is { } since && now - since >= ttl)
            {
                // TryExpire re-checks under the room's gate: a client may have joined since.
                if (room.TryExpire(now, ttl))
                {
                    rooms.Remove(room);
                    LogExpired(logger, room.Id);
                    expired++;
                }
            }
        }

        return expired;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Room {RoomId} expired after being empty")]
    private static partial void LogExpired(ILogger logger, string roomId);
}
