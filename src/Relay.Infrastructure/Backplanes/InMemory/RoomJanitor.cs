using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relay.Application.Abstractions;
using Relay.Application.Common.Options;
using Relay.Application.Rooms.Membership;

namespace Relay.Infrastructure.Backplanes.InMemory;

/// <summary>
/// A single node's upkeep, once a second: rooms empty for `Relay:EmptyRoomTtlSeconds` close (`expired`; 0 keeps them)
/// and away clients whose resume window is over leave (`timeout`). Both are decided by the room's rules, as every
/// other change.
/// </summary>
public sealed partial class RoomJanitor(
    IRoomBackplane backplane,
    RoomMembership membership,
    IOptions<RelayOptions> options,
    TimeProvider timeProvider,
    ILogger<RoomJanitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await SweepAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>One sweep: expired rooms closed, away windows ended. Returns how many rooms closed.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var ttlSeconds = options.Value.EmptyRoomTtlSeconds;
        var expired = 0;
        foreach (var room in backplane.Held)
        {
            if (ttlSeconds > 0 && room.EmptySince is not null && await membership.ExpireAsync(room, TimeSpan.FromSeconds(ttlSeconds), cancellationToken))
            {
                LogExpired(logger, room.Id);
                expired++;
                continue;
            }

            await membership.EndAwayWindowsAsync(room, cancellationToken);
            room.ExpireHistory(timeProvider.GetUtcNow());
        }

        return expired;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Room {RoomId} expired after being empty")]
    private static partial void LogExpired(ILogger logger, string roomId);
}
