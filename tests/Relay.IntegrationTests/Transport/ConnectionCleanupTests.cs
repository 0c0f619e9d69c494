using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Relay.Api.Realtime;
using Relay.Application.Common;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Transport;

/// <summary>
/// However a connection ends, it is unregistered (the connection registry that shutdown waits on, and the
/// `relay_connections` gauge): here its writer loop dies of an exception nobody foresaw, raised by the
/// connection itself. The real server's WebSocket handler serves the connection over a scripted stream.
/// </summary>
public sealed class ConnectionCleanupTests
{
    [Trait("Scope", "node")] // one node's registry and gauge
    [Fact]
    public async Task A_writer_that_dies_of_an_unexpected_exception_still_leaves_the_connection_unregistered()
    {
        var log = new LogCapture();
        await using var server = await RelayServer.StartAsync([], builder => builder.Logging.AddProvider(log));
        var handler = server.Services.GetRequiredService<WebSocketHandler>();
        var stats = server.Services.GetRequiredService<RelayStats>();
        var stream = new ScriptedStream { WriteFailure = new InvalidOperationException("the connection broke in an unforeseen way") };
        var coalescing = new CoalescingStream(stream, () => { });
        using var socket = WebSocket.CreateFromStream(coalescing, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });

        var serving = handler.ServeAsync(socket, coalescing, lifetime: null);
        await stream.SendFromClientAsync(RawWebSocket.ClientFrame(RawOpcode.Text, Encoding.UTF8.GetBytes("""{"type":"ping"}""")));

        // The pong's write throws; then the client's side ends too.
        await stream.FirstWrite.WaitAsync(TestClient.DefaultTimeout);
        stream.EndFromClient();
        await serving.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, stats.OpenConnections);
        Assert.Contains("relay_connections 0", await server.Http.GetStringAsync("/metrics"), StringComparison.Ordinal);
        Assert.True(server.Services.GetRequiredService<ConnectionRegistry>().IsEmpty);
        Assert.Contains(log.Entries, e => e.Message.Contains("failed while writing to the socket (InvalidOperationException: the connection broke in an unforeseen way)", StringComparison.Ordinal));
    }
}
