using Relay.Api.Realtime;
using Relay.Application.Abstractions;
using Relay.Application.Rooms;
using Relay.Domain.Connections;

namespace Relay.Api.Hosting;

/// <summary>
/// On SIGTERM (application stopping), before Kestrel waits for requests to end: every room's clients get
/// `room_closed` `shutdown` and close 1001 (a cluster node's rooms live on without them), and connections
/// not in a room get close 1001.
/// </summary>
internal sealed partial class GracefulShutdown(
    IHostApplicationLifetime lifetime,
    RoomManager rooms,
    ConnectionRegistry connections,
    ILogger<GracefulShutdown> logger) : IHostedService
{
    private CancellationTokenRegistration _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = lifetime.ApplicationStopping.Register(() => _ = CloseEverythingAsync());
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _registration.DisposeAsync();
        await CloseEverythingAsync();
        await connections.WaitForEmptyAsync(cancellationToken);
    }

    private async Task CloseEverythingAsync()
    {
        int closedRooms;
        try
        {
            closedRooms = await rooms.ShutdownAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is RoomStoreUnavailableException or OperationCanceledException)
        {
            closedRooms = 0;
        }

        var closedConnections = connections.CloseAll(CloseCodes.GoingAway, "server shutting down");
        LogShutdown(logger, closedRooms, closedConnections);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: closed {Rooms} rooms and {Connections} connections")]
    private static partial void LogShutdown(ILogger logger, int rooms, int connections);
}
