using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Hardening;

/// <summary>
/// `Relay:SendQueue:*`: a recipient whose queue overflows is closed with 4004 (what was queued for it is discarded)
/// while everyone else keeps getting everything, in order. The server's clock is a fake one that the test never
/// advances, so the close timeout never aborts a slow client: whenever it reads, it must find the 4004 close frame,
/// and once it answers that close the others hear that it left.
/// </summary>
[Trait("Scope", "node")] // one node's queues and /metrics
public sealed class SlowConsumerTests
{
    /// <summary>Far more broadcasts than a stuck client's socket buffers and queue can hold.</summary>
    internal const int MaxBroadcasts = 100_000;

    internal static Task<RelayServer> StartAsync(params (string Key, string Value)[] settings) =>
        RelayServer.StartAsync(
            [
                ("Relay:RateLimit:MessagesPerSecond", "1000000"),
                ("Relay:RateLimit:Burst", "1000000"),
                ("Relay:ConnectTimeoutSeconds", "3600"),
                .. settings,
            ],
            builder => builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider()));

    [Fact]
    public async Task The_message_count_limit_alone_closes_a_client_that_stops_reading_with_4004()
    {
        // A byte limit no stuck client can reach (socket buffers are a few MiB): only the count can overflow.
        await using var server = await StartAsync(("Relay:SendQueue:MaxMessages", "4"), ("Relay:SendQueue:MaxBytes", "4294967296"));
        await using var room = await StuckRoom.OpenAsync(server);

        var sent = await room.FloodUntilStuckOverflowsAsync(server, payloadBytes: 2 * 1024);

        await room.ExpectStuckClosedWith4004Async();
        await room.ExpectStuckLeftAsync();
        await ExpectMetricsAsync(server, slowConsumerCloses: 1, minDrops: 1);
        Assert.True(sent > 4, $"dropped after {sent} broadcasts");
    }

    [Fact]
    public async Task The_byte_limit_alone_closes_a_client_that_stops_reading_with_4004()
    {
        // A count limit no stuck client can reach: only the bytes can overflow.
        await using var server = await StartAsync(("Relay:SendQueue:MaxMessages", "1000000"), ("Relay:SendQueue:MaxBytes", "65536"));
        await using var room = await StuckRoom.OpenAsync(server);

        await room.FloodUntilStuckOverflowsAsync(server, payloadBytes: 16 * 1024);

        await room.ExpectStuckClosedWith4004Async();
        await room.ExpectStuckLeftAsync();
        await ExpectMetricsAsync(server, slowConsumerCloses: 1, minDrops: 1);
    }

    [Fact]
    public async Task A_single_message_larger_than_a_recipients_whole_queue_closes_that_recipient_with_4004()
    {
        await using var server = await StartAsync(("Relay:SendQueue:MaxBytes", "1024"));
        var created = await server.Api.CreateRoomAsync();
        await using var sender = await server.ConnectClientAsync();
        await using var recipient = await server.ConnectClientAsync();
        await sender.JoinAsync(created.Id, created.Secret);
        await recipient.JoinAsync(created.Id, created.Secret);
        await sender.ExpectAsync("client_joined");

        // A message that fits reaches the recipient, which reads everything; one larger than its queue cannot.
        await sender.SendJsonAsync(new { type = "broadcast", data = new string('s', 300) });
        Assert.Equal(300, (await recipient.ExpectAsync("message")).GetProperty("data").GetString()!.Length);
        await sender.SendJsonAsync(new { type = "broadcast", data = new string('L', 2000) });

        var (status, description) = await recipient.WaitForCloseAsync();
        Assert.True((int?)status == 4004, $"expected close 4004, got {(int?)status} {description}");
        var left = await sender.ExpectAsync("client_left");
        Assert.Equal(recipient.ClientId, left.GetProperty("clientId").GetInt32());
        await ExpectMetricsAsync(server, slowConsumerCloses: 1, minDrops: 1, maxDrops: 1);

        // The sender is unaffected: its own messages still relay to a newcomer.
        await using var newcomer = await server.ConnectClientAsync();
        await newcomer.JoinAsync(created.Id, created.Secret);
        await sender.ExpectAsync("client_joined");
        await sender.SendJsonAsync(new { type = "broadcast", data = "small" });
        Assert.Equal("small", (await newcomer.ExpectAsync("message")).GetProperty("data").GetString());
    }

    /// <summary>`/metrics` counts <paramref name="slowConsumerCloses"/> 4004 closes and between the given numbers of drops.</summary>
    internal static async Task ExpectMetricsAsync(RelayServer server, int slowConsumerCloses, int minDrops, int maxDrops = int.MaxValue)
    {
        var metrics = await server.Http.GetStringAsync("/metrics");
        Assert.Contains($"relay_slow_consumer_closes_total {slowConsumerCloses}\n", metrics, StringComparison.Ordinal);
        var drops = Metric(metrics, "relay_drops_total");
        Assert.True(drops >= minDrops && drops <= maxDrops, $"relay_drops_total {drops}, expected {minDrops}..{maxDrops}");
    }

    private static double Metric(string metrics, string name)
    {
        var line = metrics.Split('\n').SingleOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no {name} in /metrics");
        return double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// A room with a sender, a healthy reader and a stuck client: a raw WebSocket that joins and then reads nothing
/// until the test asks it to.
/// </summary>
internal sealed class StuckRoom : IAsyncDisposable
{
    private readonly TestClient _sender;
    private readonly TestClient _healthy;
    private readonly ClientWebSocket _stuck;
    private readonly int _stuckId;

    private StuckRoom(TestClient sender, TestClient healthy, ClientWebSocket stuck, int stuckId)
    {
        _sender = sender;
        _healthy = healthy;
        _stuck = stuck;
        _stuckId = stuckId;
    }

    public static async Task<StuckRoom> OpenAsync(RelayServer server)
    {
        var room = await server.Api.CreateRoomAsync("""{"maxClients": 3}""");
        var sender = await server.ConnectClientAsync();
        var healthy = await server.ConnectClientAsync();
        await sender.JoinAsync(room.Id, room.Secret);
        await healthy.JoinAsync(room.Id, room.Secret);
        await sender.ExpectAsync("client_joined");

        var stuck = new ClientWebSocket();
        stuck.Options.KeepAliveInterval = TimeSpan.Zero;
        using var cts = new CancellationTokenSource(TestClient.DefaultTimeout);
        await stuck.ConnectAsync(server.WebSocketUri, cts.Token);
        await stuck.SendAsync(
            Encoding.UTF8.GetBytes($$"""{"type":"connect","roomId":"{{room.Id}}","secret":"{{room.Secret}}"}"""),
            WebSocketMessageType.Text,
            endOfMessage: true,
            cts.Token);
        var stuckId = (await healthy.ExpectAsync("client_joined")).GetProperty("clientId").GetInt32();
        await sender.ExpectAsync("client_joined");
        return new StuckRoom(sender, healthy, stuck, stuckId);
    }

    /// <summary>
    /// Broadcasts numbered messages of <paramref name="payloadBytes"/>, each received by the healthy client in order
    /// before the next is sent, until `/metrics` counts the stuck client's slow-consumer close. Returns how many were sent.
    /// </summary>
    public async Task<int> FloodUntilStuckOverflowsAsync(RelayServer server, int payloadBytes)
    {
        var payload = new string('x', payloadBytes);
        var sent = 0;
        while (true)
        {
            Assert.True(sent < SlowConsumerTests.MaxBroadcasts, $"the stuck client's queue did not overflow after {sent} broadcasts");
            await _sender.SendJsonAsync(new { type = "broadcast", data = new { n = sent, payload } });
            Assert.Equal(sent, (await _healthy.ExpectAsync("message")).GetProperty("data").GetProperty("n").GetInt32());
            sent++;
            if (sent % 16 == 0 && (await server.Http.GetStringAsync("/metrics")).Contains("relay_slow_consumer_closes_total 1\n", StringComparison.Ordinal))
            {
                return sent;
            }
        }
    }

    /// <summary>Once the stuck client has answered the close, the others hear that it left; nothing else is pending.</summary>
    public async Task ExpectStuckLeftAsync()
    {
        foreach (var member in new[] { _healthy, _sender })
        {
            var left = await member.ExpectAsync("client_left");
            Assert.Equal(_stuckId, left.GetProperty("clientId").GetInt32());
            Assert.Equal("disconnected", left.GetProperty("reason").GetString());
        }

        // Relaying goes on for the others.
        await _sender.SendJsonAsync(new { type = "broadcast", data = "after" });
        Assert.Equal("after", (await _healthy.ExpectAsync("message")).GetProperty("data").GetString());
        await _healthy.AssertNothingPendingAsync();
    }

    /// <summary>The stuck client finally reads: whatever was written to it before, then the close frame with 4004.</summary>
    public async Task ExpectStuckClosedWith4004Async()
    {
        var buffer = new byte[64 * 1024];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        WebSocketReceiveResult result;
        do
        {
            result = await _stuck.ReceiveAsync(buffer, cts.Token);
        }
        while (result.MessageType != WebSocketMessageType.Close);

        Assert.Equal(4004, (int?)result.CloseStatus);
        await _stuck.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        _stuck.Abort();
        _stuck.Dispose();
        await _sender.DisposeAsync();
        await _healthy.DisposeAsync();
    }
}
