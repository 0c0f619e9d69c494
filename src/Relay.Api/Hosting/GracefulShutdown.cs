using Relay.Api.Realtime;
using Relay.Application.Abstractions;
using Relay.Application.Rooms;
using Relay.Domain.Connections;

namespace Relay.Api.Hosting;

/// <summary>
/// On SIGTERM (application stopping), before Kestrel waits for requests to end: every room's clients get
/// `room_closed` `shutdown` and close 1001 (a cluster node's rooms live on without them), and connections
/// not in a room get close 1001. Runs, and is logged, once.
/// </summary>
internal sealed partial class GracefulShutdown(
    IHostApplicationLifetime lifetime,
    RoomManager rooms,
    ConnectionRegistry connections,
    ILogger<GracefulShutdown> logger) : IHostedService
{
    private readonly Lock _gate = new();
    private CancellationTokenRegistration _registration;
    private Task? _closing;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = lifetime.ApplicationStopping.Register(() => _ = CloseOnceAsync());
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _registration.DisposeAsync();
        // The host signals ApplicationStopping before it stops its services, so this is the pass already running.
        await CloseOnceAsync();
        await connections.WaitForEmptyAsync(cancellationToken);

        // Kestrel aborts the connections it still holds when it stops; the ones the lean listener serves are not
        // among them.
        connections.AbortAll();
    }

    private Task CloseOnceAsync()
    {
        lock (_gate)
        {
            return _closing ??= CloseEverythingAsync();
        }
    }

    private async Task CloseEverythingAsync()
    {
        // Counted first: connections closed with their rooms may be gone before CloseAll looks.
        var openConnections = connections.Count;
        int closedRooms;
        try
        {
            closedRooms = await rooms.ShutdownAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is RoomStoreUnavailableException or OperationCanceledException)
        {
            closedRooms = 0;
        }

        connections.CloseAll(CloseCodes.GoingAway, "server shutting down");
        LogShutdown(logger, closedRooms, openConnections);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: closed {Rooms} rooms and {Connections} connections")]
    private static partial void LogShutdown(ILogger logger, int rooms, int connections);
}
