using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Api.Realtime;
using Relay.Application.Common;
using Relay.Domain.Connections;
using Relay.Domain.Frames;

namespace Relay.IntegrationTests.Transport;

/// <summary>
/// The server's real <see cref="WebSocketTransport"/>, writing to a real WebSocket on a loopback TCP connection: what
/// the transport reports is what the client really received.
/// </summary>
public sealed class ConnectionTransportTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_connection_delivers_what_it_accepts_and_refuses_once_the_transport_is_closing()
    {
        await using var link = await Link.OpenAsync();

        Assert.True(link.Transport.TrySend(Text("one")));
        Assert.Equal("one", await link.ReceiveTextAsync());

        link.Transport.Close(CloseCodes.Normal, "bye");
        Assert.False(link.Transport.TrySend(Text("after close")));
        Assert.Equal(1, link.Stats.Drops);

        // The client gets the close and nothing that was refused before it.
        var (status, _) = await link.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
    }

    [Fact]
    public async Task A_relay_sent_for_a_membership_reaches_the_client_only_while_that_membership_lasts()
    {
        await using var link = await Link.OpenAsync();
        var member = link.Transport.Epoch;

        Assert.True(link.Transport.TrySend(Text("while a member"), member));
        Assert.Equal("while a member", await link.ReceiveTextAsync());

        // The member leaves: a relay that raced its departure is refused, what is sent to the connection itself is not.
        link.Transport.EndEpoch();
        Assert.NotEqual(member, link.Transport.Epoch);
        Assert.False(link.Transport.TrySend(Text("after leaving"), member));
        Assert.True(link.Transport.TrySend(Text("direct")));

        // Frames leave in the order they were queued: what was refused would have come before this one.
        Assert.Equal("direct", await link.ReceiveTextAsync());
        Assert.Equal(0, link.Stats.Drops);
    }

    private static OutboundFrame Text(string text) => OutboundFrame.Wrap(Encoding.UTF8.GetBytes(text), FrameKind.Text);

    /// <summary>A server-side transport and session joined to a client WebSocket over loopback TCP.</summary>
    private sealed class Link : IAsyncDisposable
    {
        private readonly Socket _serverSocket;
        private readonly TcpClient _client;
        private readonly WebSocket _serverWebSocket;
        private readonly Task _writer;

        private Link(Socket serverSocket, TcpClient client, WebSocket serverWebSocket, WebSocket clientWebSocket, CoalescingStream stream)
        {
            _serverSocket = serverSocket;
            _client = client;
            _serverWebSocket = serverWebSocket;
            Client = clientWebSocket;
            Stats = new RelayStats(TimeProvider.System);
            Transport = new WebSocketTransport(
                serverWebSocket,
                stream,
                connectionId: 1,
                new TransportLimits(MaxQueuedMessages: 64, MaxQueuedBytes: 1 << 20, CloseTimeout: TimeSpan.FromHours(1)),
                Stats,
                TimeProvider.System,
                NullLogger.Instance);
            _writer = Transport.RunWriterAsync();
        }

        public WebSocket Client { get; }

        public RelayStats Stats { get; }

        public WebSocketTransport Transport { get; }

        public static async Task<Link> OpenAsync()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
            var serverSocket = await listener.AcceptSocketAsync();
            var stream = new CoalescingStream(new NetworkStream(serverSocket, ownsSocket: false), () => { });
            var serverWebSocket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true });
            var clientWebSocket = WebSocket.CreateFromStream(client.GetStream(), new WebSocketCreationOptions { IsServer = false });
            return new Link(serverSocket, client, serverWebSocket, clientWebSocket, stream);
        }

        public async Task<string> ReceiveTextAsync()
        {
            var buffer = new byte[4096];
            using var cts = new CancellationTokenSource(Timeout);
            var result = await Client.ReceiveAsync(buffer, cts.Token);
            Assert.Equal(WebSocketMessageType.Text, result.MessageType);
            Assert.True(result.EndOfMessage);
            return Encoding.UTF8.GetString(buffer, 0, result.Count);
        }

        public async Task<(WebSocketCloseStatus? Status, string? Description)> ReceiveCloseAsync()
        {
            var buffer = new byte[4096];
            using var cts = new CancellationTokenSource(Timeout);
            var result = await Client.ReceiveAsync(buffer, cts.Token);
            Assert.True(
                result.MessageType == WebSocketMessageType.Close,
                $"expected the close, got a {result.MessageType} message: {Encoding.UTF8.GetString(buffer, 0, result.Count)}");
            return (result.CloseStatus, result.CloseStatusDescription);
        }

        public async ValueTask DisposeAsync()
        {
            Transport.Abort();
            await _writer.WaitAsync(Timeout);
            Transport.Dispose();
            _serverWebSocket.Dispose();
            Client.Dispose();
            _client.Dispose();
            _serverSocket.Dispose();
        }
    }
}
