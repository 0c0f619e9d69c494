using System.Net;
using System.Net.WebSockets;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Hardening;

public sealed class LimitsTests
{
    [Trait("Scope", "node")] // per-node: a connection limit and /metrics belong to one node
    [Fact]
    public async Task Connections_over_MaxConnections_are_refused_with_503_before_the_upgrade()
    {
        await using var server = await RelayServer.StartAsync(("Relay:MaxConnections", "2"));
        await using var first = await server.ConnectClientAsync();
        await using var second = await server.ConnectClientAsync();
        await first.AssertNothingPendingAsync();
        await second.AssertNothingPendingAsync();

        var refused = await Assert.ThrowsAsync<WebSocketException>(() => server.ConnectClientAsync(o => o.CollectHttpResponseDetails = true));
        Assert.Contains("503", refused.Message, StringComparison.Ordinal);

        // The open connections keep working, and a seat frees up when one leaves.
        await first.CloseAsync();
        await first.WaitForCloseAsync();
        await WaitUntilAsync(async () =>
        {
            try
            {
                await using var third = await server.ConnectClientAsync();
                await third.AssertNothingPendingAsync();
                return true;
            }
            catch (WebSocketException)
            {
                return false;
            }
        });
        await second.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Rooms_over_MaxRooms_answer_503_problem()
    {
        await using var server = await RelayServer.StartAsync(("Relay:MaxRooms", "2"));
        await server.Api.CreateRoomAsync();
        await server.Api.CreateRoomAsync();

        using var response = await server.Api.PostJsonAsync("/v1/api/rooms", "{}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await RelayApi.ReadJsonAsync(response);
        Assert.Contains("Relay:MaxRooms", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Origins_outside_AllowedOrigins_get_403_and_listed_ones_connect()
    {
        await using var server = await RelayServer.StartAsync(("Relay:AllowedOrigins:0", "https://game.example"));

        var refused = await Assert.ThrowsAsync<WebSocketException>(() => server.ConnectClientAsync(o =>
        {
            o.CollectHttpResponseDetails = true;
            o.SetRequestHeader("Origin", "https://evil.example");
        }));
        Assert.Contains("403", refused.Message, StringComparison.Ordinal);

        await using var allowed = await server.ConnectClientAsync(o => o.SetRequestHeader("Origin", "https://game.example"));
        await allowed.AssertNothingPendingAsync();

        // The server's own pages (the playground) are same-origin: always allowed.
        await using var own = await TestClient.ConnectAsync(server.WebSocketUri, o => o.SetRequestHeader("Origin", $"http://{server.BaseAddress.Authority}"));
        await own.AssertNothingPendingAsync();
        var lookalike = await Assert.ThrowsAsync<WebSocketException>(() => server.ConnectClientAsync(o =>
        {
            o.CollectHttpResponseDetails = true;
            o.SetRequestHeader("Origin", $"http://{server.BaseAddress.Host}:1");
        }));
        Assert.Contains("403", lookalike.Message, StringComparison.Ordinal);
    }

    [Trait("Scope", "node")] // per-node: a connection limit and /metrics belong to one node
    [Fact]
    public async Task A_client_that_stops_reading_is_closed_with_4004_while_the_room_keeps_flowing()
    {
        await using var server = await RelayServer.StartAsync(
            ("Relay:SendQueue:MaxMessages", "16"),
            ("Relay:SendQueue:MaxBytes", "65536"),
            ("Relay:RateLimit:MessagesPerSecond", "100000"),
            ("Relay:RateLimit:Burst", "100000"));
        var room = await server.Api.CreateRoomAsync("""{"maxClients": 3}""");
        await using var sender = await server.ConnectClientAsync();
        await using var healthy = await server.ConnectClientAsync();
        await sender.JoinAsync(room.Id, room.Secret);
        await healthy.JoinAsync(room.Id, room.Secret);
        await sender.ExpectAsync("client_joined");

        // The stuck client joins, then never reads again: its socket buffers fill, then its queue overflows.
        using var stuck = new ClientWebSocket();
        stuck.Options.KeepAliveInterval = TimeSpan.Zero;
        await stuck.ConnectAsync(server.WebSocketUri, CancellationToken.None);
        await stuck.SendAsync(System.Text.Encoding.UTF8.GetBytes($$"""{"type":"connect","roomId":"{{room.Id}}","secret":"{{room.Secret}}"}"""), WebSocketMessageType.Text, true, CancellationToken.None);
        var stuckId = (await healthy.ExpectAsync("client_joined")).GetProperty("clientId").GetInt32();
        await sender.ExpectAsync("client_joined");

        var payload = new string('x', 16 * 1024);
        var sent = 0;
        var healthyReceived = 0;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var stuckGone = false;
        while (!stuckGone && DateTime.UtcNow < deadline)
        {
            await sender.SendJsonAsync(new { type = "broadcast", data = new { n = sent, payload } });
            sent++;
            var received = await healthy.ReceiveJsonAsync();
            if (received.GetProperty("type").GetString() == "client_left")
            {
                Assert.Equal(stuckId, received.GetProperty("clientId").GetInt32());
                stuckGone = true;
                continue;
            }

            Assert.Equal(healthyReceived, received.GetProperty("data").GetProperty("n").GetInt32());
            healthyReceived++;
        }

        Assert.True(stuckGone, $"the stuck client was not dropped after {sent} broadcasts");

        // Every broadcast reached the healthy client, in order, including the ones sent while the stuck one was failing.
        while (healthyReceived < sent)
        {
            var received = await healthy.ExpectAsync("message");
            Assert.Equal(healthyReceived, received.GetProperty("data").GetProperty("n").GetInt32());
            healthyReceived++;
        }

        // When the stuck client finally reads, it finds the server's close: 4004.
        var buffer = new byte[64 * 1024];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        WebSocketReceiveResult result;
        try
        {
            do
            {
                result = await stuck.ReceiveAsync(buffer, cts.Token);
            }
            while (result.MessageType != WebSocketMessageType.Close);
            Assert.Equal(4004, (int)result.CloseStatus!.Value);
        }
        catch (WebSocketException)
        {
            // The close handshake timed out and the server aborted the socket: the drop itself is what counts,
            // and it was observed above. The metrics must still have counted the slow-consumer close.
        }

        var metrics = await server.Http.GetStringAsync("/metrics");
        Assert.Contains("relay_slow_consumer_closes_total 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Name_metadata_and_nesting_limits_are_configurable()
    {
        await using var server = await RelayServer.StartAsync(
            ("Relay:MaxNameLength", "8"),
            ("Relay:MaxMetadataBytes", "32"),
            ("Relay:MaxJsonDepth", "4"));

        using (var tooBig = await server.Api.PostJsonAsync("/v1/api/rooms", """{"metadata":{"text":"more than thirty-two bytes of metadata"}}"""))
        {
            Assert.Equal(HttpStatusCode.BadRequest, tooBig.StatusCode);
            var problem = await RelayApi.ReadJsonAsync(tooBig);
            Assert.True(problem.GetProperty("errors").TryGetProperty("metadata", out _));
        }

        var room = await server.Api.CreateRoomAsync("""{"metadata":{"m":1}}""");
        await using var client = await server.ConnectClientAsync();
        await client.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Secret, name = "ninechars" });
        await client.ExpectErrorAsync("bad_request");
        await client.JoinAsync(room.Id, room.Secret, "eight-ch");

        await client.SendTextAsync("""{"type":"broadcast","data":[[[[1]]]]}""");
        await client.ExpectErrorAsync("bad_request");
        await client.SendTextAsync("""{"type":"broadcast","data":[[1]]}""");
        await client.AssertNothingPendingAsync();
    }

    [Trait("Scope", "node")] // per-node: a connection limit and /metrics belong to one node
    [Fact]
    public async Task Metrics_count_connections_relays_deliveries_and_errors_in_Prometheus_format()
    {
        await using var server = await RelayServer.StartAsync();
        var room = await server.Api.CreateRoomAsync();
        await using var a = await server.ConnectClientAsync();
        await using var b = await server.ConnectClientAsync();
        await a.JoinAsync(room.Id, room.Secret);
        await b.JoinAsync(room.Id, room.Secret);
        await a.SendJsonAsync(new { type = "broadcast", data = "hello" });
        await b.ExpectAsync("message");
        await a.SendJsonAsync(new { type = "nonsense" });
        await a.ExpectAsync("client_joined");
        await a.ExpectErrorAsync("unknown_type");

        using var response = await server.Http.GetAsync("/metrics");
        Assert.True(response.IsSuccessStatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE relay_messages_relayed_total counter", text, StringComparison.Ordinal);
        Assert.Contains("relay_connections 2", text, StringComparison.Ordinal);
        Assert.Contains("relay_rooms 1", text, StringComparison.Ordinal);
        Assert.Contains("relay_clients 2", text, StringComparison.Ordinal);
        Assert.Contains("relay_messages_relayed_total 1", text, StringComparison.Ordinal);
        Assert.Contains("relay_deliveries_total 1", text, StringComparison.Ordinal);
        Assert.Contains("relay_errors_total{code=\"unknown_type\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("process_cpu_seconds_total", text, StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(50);
        }
    }
}
