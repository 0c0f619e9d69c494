using Relay.Api.Realtime;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Realtime;
using Relay.Domain.Sessions;

namespace Relay.Api.Hosting;

/// <summary>
/// On SIGTERM (application stopping), before Kestrel waits for requests to end: every room's clients get
/// `room_closed` `shutdown` and close 1001, and connections not in a room get close 1001.
/// </summary>
internal sealed partial class GracefulShutdown(
    IHostApplicationLifetime lifetime,
    IRoomManager rooms,
    RoomCoordinator coordinator,
    ConnectionRegistry connections,
    ILogger<GracefulShutdown> logger) : IHostedService
{
    private CancellationTokenRegistration _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = lifetime.ApplicationStopping.Register(CloseEverything);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _registration.DisposeAsync();
        CloseEverything();
        await connections.WaitForEmptyAsync(cancellationToken);
    }

    private void CloseEverything()
    {
        var closedRooms = 0;
        foreach (var room in rooms.Snapshot())
        {
            if (coordinator.CloseRoom(room, RoomClosedReasons.Shutdown, CloseCodes.GoingAway))
            {
                closedRooms++;
            }
        }

        var closedConnections = connections.CloseAll(CloseCodes.GoingAway, "server shutting down");
        LogShutdown(logger, closedRooms, closedConnections);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: closed {Rooms} rooms and {Connections} connections")]
    private static partial void LogShutdown(ILogger logger, int rooms, int connections);
}
