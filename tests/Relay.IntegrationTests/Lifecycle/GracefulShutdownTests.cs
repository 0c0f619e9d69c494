using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Relay.Api.Realtime;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Lifecycle;

/// <summary>SIGTERM: room members get `room_closed` `shutdown` then close 1001; sockets outside a room get close 1001.</summary>
public sealed class GracefulShutdownTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    // Per node: when a whole cluster stops, nodes stop one after another, so a client may first see the host's
    // node go (host_changed, or room_closed host_left in a host room). Cluster stops are covered in Cluster/.
    [Trait("Scope", "node")]
    [Fact]
    public async Task Clients_in_rooms_get_room_closed_shutdown_and_close_1001()
    {
        await using var server = await RelayServer.StartAsync();
        await using var mesh = await RoomHarness.CreateAsync(server, clients: 2, "mesh");
        await using var host = await RoomHarness.CreateAsync(server, clients: 2, "host");

        var stopping = server.StopAsync();

        foreach (var client in mesh.Clients.Concat(host.Clients))
        {
            await Expect.RoomClosedAsync(client, "shutdown", WebSocketCloseStatus.EndpointUnavailable, Bound);
        }

        await stopping.WaitAsync(Bound);
    }

    [Fact]
    public async Task Socket_not_in_a_room_gets_close_1001()
    {
        await using var server = await RelayServer.StartAsync();
        await using var idle = await server.ConnectClientAsync();
        await idle.AssertNothingPendingAsync();

        var stopping = server.StopAsync();

        var (status, description) = await idle.WaitForCloseAsync(Bound);
        Assert.True(status == WebSocketCloseStatus.EndpointUnavailable, $"expected close 1001, got {(int?)status} {description}");
        await stopping.WaitAsync(Bound);
    }

    [Fact]
    public async Task Socket_that_left_its_room_gets_close_1001_without_room_closed()
    {
        await using var server = await RelayServer.StartAsync();
        var room = await server.Api.CreateRoomAsync();
        await using var client = await server.ConnectClientAsync();
        await client.JoinAsync(room.Id, room.Secret);
        await client.SendJsonAsync(new { type = "leave" });
        await client.ExpectAsync("left");

        var stopping = server.StopAsync();

        var (status, description) = await client.WaitForCloseAsync(Bound);
        Assert.True(status == WebSocketCloseStatus.EndpointUnavailable, $"expected close 1001, got {(int?)status} {description}");
        // The inbox is complete: a message would be returned here instead of the connection-closed failure.
        var end = await Assert.ThrowsAsync<Xunit.Sdk.XunitException>(() => client.ReceiveAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("the connection closed", end.Message, StringComparison.Ordinal);
        await stopping.WaitAsync(Bound);
    }

    /// <summary>
    /// A server whose clock moves only when the test advances it (so the close timeout never ends a wait by itself),
    /// with a host shutdown timeout longer than any wait of these tests, and a client that read the server's close
    /// but never answers it (a ClientWebSocket does not answer by itself): the shutdown waits for it.
    /// </summary>
    private static async Task<(RelayServer Server, ClientWebSocket Silent)> StartWithSilentClientAsync(FakeTimeProvider clock)
    {
        var server = await RelayServer.StartAsync(
            [("Relay:ConnectTimeoutSeconds", "3600")],
            builder =>
            {
                builder.Services.AddSingleton<TimeProvider>(clock);
                builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(5));
            });
        using var ready = await server.Http.GetAsync(new Uri("/readyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var silent = new ClientWebSocket();
        silent.Options.KeepAliveInterval = TimeSpan.Zero;
        using var cts = new CancellationTokenSource(TestClient.DefaultTimeout);
        await silent.ConnectAsync(server.WebSocketUri, cts.Token);
        await Eventually.TrueAsync(
            async () => (await server.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Contains("relay_connections 1\n", StringComparison.Ordinal),
            Bound,
            "the silent client's connection counted");
        return (server, silent);
    }

    /// <summary>The silent client reads the server's close (1001) and does not answer it.</summary>
    private static async Task ReadCloseWithoutAnsweringAsync(ClientWebSocket silent)
    {
        using var cts = new CancellationTokenSource(Bound);
        var close = await silent.ReceiveAsync(new byte[1024], cts.Token);
        Assert.Equal(WebSocketMessageType.Close, close.MessageType);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
    }

    [Trait("Scope", "node")] // one node's shutdown, on its own fake clock
    [Fact]
    public async Task A_client_that_never_answers_the_shutdown_close_is_aborted_at_the_close_timeout_and_then_the_shutdown_completes()
    {
        var clock = new FakeTimeProvider();
        var (server, silent) = await StartWithSilentClientAsync(clock);
        await using var _ = server;
        using var __ = silent;

        var stopping = server.StopAsync();
        await ReadCloseWithoutAnsweringAsync(silent);
        Assert.False(stopping.IsCompleted, "the shutdown did not wait for the closing client");

        // The close timeout passes on the server's clock: the silent client is aborted and the shutdown completes
        // (long before the host's own shutdown timeout could end it).
        clock.Advance(WebSocketHandler.CloseTimeout);
        await stopping.WaitAsync(Bound);
    }

    /// <summary>
    /// While the shutdown waits for a closing client, a request that still reaches the server (begun before the
    /// shutdown, finished during it; new connections are refused) finds `/readyz` 503 `stopping`, and an upgrade is refused.
    /// </summary>
    [Trait("Scope", "node")] // one node's shutdown, on its own fake clock
    [Fact]
    public async Task During_shutdown_readyz_answers_503_and_an_upgrade_that_reaches_the_server_is_refused()
    {
        var clock = new FakeTimeProvider();
        var (server, silent) = await StartWithSilentClientAsync(clock);
        await using var _ = server;
        using var __ = silent;
        var readyProbe = await PartialRequest.BeginAsync(server.BaseAddress, "GET /readyz HTTP/1.1");
        var upgradeProbe = await PartialRequest.BeginAsync(
            server.BaseAddress,
            "GET /v1/websocket HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==");
        var stopping = server.StopAsync();
        try
        {
            await ReadCloseWithoutAnsweringAsync(silent);

            var readyAnswer = await readyProbe.FinishAsync();
            Assert.StartsWith("HTTP/1.1 503", readyAnswer, StringComparison.Ordinal);
            Assert.Contains("\"status\":\"stopping\"", readyAnswer, StringComparison.Ordinal);

            using (var late = new ClientWebSocket())
            {
                using var cts = new CancellationTokenSource(Bound);
                await Assert.ThrowsAnyAsync<Exception>(() => late.ConnectAsync(server.WebSocketUri, cts.Token));
                Assert.NotEqual(WebSocketState.Open, late.State);
            }

            var upgradeAnswer = await upgradeProbe.FinishAsync();
            Assert.False(upgradeAnswer.StartsWith("HTTP/1.1 101", StringComparison.Ordinal), $"a WebSocket was accepted during shutdown: {upgradeAnswer}");
        }
        finally
        {
            // Let the shutdown end whatever happened: the probes go, and every server timer (close and connect
            // timeouts) fires.
            await readyProbe.DisposeAsync();
            await upgradeProbe.DisposeAsync();
            clock.Advance(TimeSpan.FromHours(2));
            clock.Advance(TimeSpan.FromHours(2));
            await stopping.WaitAsync(Bound);
        }
    }

    /// <summary>An HTTP/1.1 request on its own connection, sent but for the blank line that ends its head.</summary>
    private sealed class PartialRequest : IAsyncDisposable
    {
        private readonly System.Net.Sockets.TcpClient _tcp;

        private PartialRequest(System.Net.Sockets.TcpClient tcp) => _tcp = tcp;

        public static async Task<PartialRequest> BeginAsync(Uri server, string head)
        {
            var tcp = new System.Net.Sockets.TcpClient();
            using var cts = new CancellationTokenSource(Bound);
            await tcp.ConnectAsync(server.Host, server.Port, cts.Token);
            await tcp.GetStream().WriteAsync(System.Text.Encoding.ASCII.GetBytes($"{head}\r\nHost: {server.Authority}\r\n"), cts.Token);
            return new PartialRequest(tcp);
        }

        /// <summary>Ends the head and returns the answer's status line and head, and as much body as came with them.</summary>
        public async Task<string> FinishAsync()
        {
            using var cts = new CancellationTokenSource(Bound);
            var stream = _tcp.GetStream();
            await stream.WriteAsync("\r\n"u8.ToArray(), cts.Token);
            var buffer = new byte[8192];
            var read = 0;
            try
            {
                while (read < buffer.Length)
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(read), cts.Token);
                    if (n == 0)
                    {
                        break;
                    }

                    read += n;
                    var text = System.Text.Encoding.ASCII.GetString(buffer, 0, read);
                    if (text.StartsWith("HTTP/1.1 101", StringComparison.Ordinal) || text.Contains('}', StringComparison.Ordinal))
                    {
                        break;
                    }
                }
            }
            catch (IOException)
            {
                // The server closed the connection: what came before is the answer.
            }

            return System.Text.Encoding.ASCII.GetString(buffer, 0, read);
        }

        public ValueTask DisposeAsync()
        {
            _tcp.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
