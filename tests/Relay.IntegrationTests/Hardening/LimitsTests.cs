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

        // The refusal says when to come back: Retry-After in seconds.
        using (var raw = new ClientWebSocket())
        {
            raw.Options.CollectHttpResponseDetails = true;
            using var cts = new CancellationTokenSource(TestClient.DefaultTimeout);
            await Assert.ThrowsAsync<WebSocketException>(() => raw.ConnectAsync(server.WebSocketUri, cts.Token));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, raw.HttpStatusCode);
            IEnumerable<string>? retryAfter = null;
            Assert.True(raw.HttpResponseHeaders?.TryGetValue("Retry-After", out retryAfter) == true && retryAfter is not null, "no Retry-After on the 503");
            Assert.True(
                int.TryParse(Assert.Single(retryAfter), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0,
                $"Retry-After must be a number of seconds: {string.Join(",", retryAfter)}");
        }

        // The open connections keep working, and a seat frees up when one leaves.
        await first.CloseAsync();
        await first.WaitForCloseAsync();
        await Eventually.TrueAsync(async () =>
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
        }, TimeSpan.FromSeconds(10), "a seat freed by a departed client taken by a new one");
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
        // The server's clock never moves (see SlowConsumerTests): no close timeout can replace the 4004 close frame
        // that is the contract with an abort, however long the stuck client takes to read.
        await using var server = await SlowConsumerTests.StartAsync(
            ("Relay:SendQueue:MaxMessages", "16"),
            ("Relay:SendQueue:MaxBytes", "65536"));
        await using var room = await StuckRoom.OpenAsync(server);

        // Every broadcast reaches the healthy client, in order, including the ones sent while the stuck one was failing.
        await room.FloodUntilStuckOverflowsAsync(server, payloadBytes: 16 * 1024);

        // When the stuck client finally reads, it finds the server's close: 4004; once it answers, it has left.
        await room.ExpectStuckClosedWith4004Async();
        await room.ExpectStuckLeftAsync();
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
}
