using System.Net;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Cluster;

/// <summary>
/// Redis goes away (kill -9) and comes back with its data (AOF): the nodes stay up, say they are not ready, keep
/// their local connections relaying, refuse joins and room creation, then recover. Runs on a redis-server of its
/// own so that no other test sees the outage.
/// </summary>
[Collection(ClusterSoloCollection.Name)]
public sealed class RedisOutageTests
{
    private static readonly TimeSpan DetectBound = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan RecoverBound = TimeSpan.FromSeconds(30);

    /// <summary>The next text message of <paramref name="client"/> that is not the relay sent during the outage.</summary>
    private static async Task<JsonElement> NextAfterOutageAsync(TestClient client)
    {
        while (true)
        {
            var message = await client.ReceiveJsonAsync();
            // Whether a relay made during the outage reaches other nodes late is not specified: skip it.
            if (Expect.TypeOf(message) == "message" && message.GetProperty("data").GetRawText() == "\"during\"")
            {
                continue;
            }

            return message;
        }
    }

    [Fact]
    public async Task Nodes_survive_a_redis_outage_relay_locally_refuse_joins_and_recover_when_it_returns()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await RelayCluster.StartAsync(2, redis);
        var nodes = cluster.Nodes;
        // Resume off: the room's relays need no sequence numbers from Redis (see the sequenced room below).
        await using var room = await RoomHarness.CreateAsync(nodes, via: 0, resumeWindowSeconds: 0);
        var (host, neighbour, remote) = (await room.JoinAsync(0), await room.JoinAsync(0), await room.JoinAsync(1));
        await using var sequenced = await RoomHarness.CreateAsync(nodes, via: 0);
        var (sequencedSender, sequencedNeighbour) = (await sequenced.JoinAsync(0), await sequenced.JoinAsync(0));
        foreach (var node in nodes)
        {
            await Eventually.StatusAsync(node.Http, "/readyz", HttpStatusCode.OK, DetectBound);
        }

        await redis.StopAsync();

        foreach (var node in nodes)
        {
            await Eventually.StatusAsync(node.Http, "/readyz", HttpStatusCode.ServiceUnavailable, DetectBound);
            using var health = await node.Http.GetAsync(new Uri("/healthz", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            // The metrics the alerts RelayNodeNotReady and RelayRedisUnavailable watch say the same.
            var metrics = await node.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            Assert.Matches("(?m)^relay_ready 0$", metrics);
            Assert.Matches("(?m)^relay_backplane_available 0$", metrics);
        }

        // Clients of one node still relay to each other.
        await host.SendTextAsync("""{"type":"broadcast","data":"during"}""");
        await Expect.MessageAsync(neighbour, host.ClientId, "\"during\"");
        await neighbour.SendJsonAsync(new { type = "send", to = new[] { host.ClientId }, data = "local" });
        await Expect.MessageAsync(host, neighbour.ClientId, "\"local\"");

        // In a sequenced room (resume on) a relay cannot take its number from Redis: it still reaches the sender's
        // node, unnumbered.
        await sequencedSender.SendTextAsync("""{"type":"broadcast","data":"during"}""");
        var unnumbered = await sequencedNeighbour.ExpectAsync("message");
        Assert.Equal("during", unnumbered.GetProperty("data").GetString());
        Assert.False(unnumbered.TryGetProperty("seq", out _), $"a relay no store numbered carries no seq: {unnumbered.GetRawText()}");
        await sequencedSender.AssertNothingPendingAsync();

        // A backend's push into that room cannot be numbered either: it is refused at once, 503 with Retry-After (it
        // used to wait forever for a receipt nobody completed), and nobody receives it.
        using (var answer = new CancellationTokenSource(DetectBound))
        using (var body = new StringContent("""{"data":"pushed during"}""", System.Text.Encoding.UTF8, "application/json"))
        using (var pushed = await nodes[0].Http.PostAsync(new Uri($"/v1/api/rooms/{sequenced.Id}/messages", UriKind.Relative), body, answer.Token))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, pushed.StatusCode);
            Assert.NotNull(pushed.Headers.RetryAfter);
        }

        // The sender's next relay still arrives, after the first: the refused relays keep the sender's order.
        await sequencedSender.SendTextAsync("""{"type":"broadcast","data":"during again"}""");
        Assert.Equal("during again", (await sequencedNeighbour.ExpectAsync("message")).GetProperty("data").GetString());
        await sequencedNeighbour.AssertNothingPendingAsync();

        // Joins and room creation need Redis: refused, the connection stays usable.
        var joiner = await room.OpenAsync(0);
        await joiner.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Room.Secret, @ref = "j" });
        var refused = await joiner.ExpectErrorAsync("unavailable");
        Assert.Equal("j", refused.GetProperty("ref").GetString());
        await joiner.AssertNothingPendingAsync();
        using (var created = await nodes[1].Api.PostJsonAsync("/v1/api/rooms", "{}"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, created.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), created.Headers.RetryAfter?.Delta);
        }

        await redis.RestartAsync();

        foreach (var node in nodes)
        {
            await Eventually.StatusAsync(node.Http, "/readyz", HttpStatusCode.OK, RecoverBound);
            Assert.Matches("(?m)^relay_ready 1$", await node.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
        }

        // Every member is still in the room, and relays cross nodes again, both ways.
        await host.SendTextAsync("""{"type":"broadcast","data":"after"}""");
        Assert.Equal("\"after\"", (await NextAfterOutageAsync(remote)).GetProperty("data").GetRawText());
        await Expect.MessageAsync(neighbour, host.ClientId, "\"after\"");
        await remote.SendTextAsync("""{"type":"broadcast","data":"back"}""");
        await Expect.MessageAsync(host, remote.ClientId, "\"back\"");
        await Expect.MessageAsync(neighbour, remote.ClientId, "\"back\"");

        // The refused connection joins now, and everybody agrees on the membership.
        var connected = await joiner.JoinAsync(room.Id, room.Room.Secret, "late");
        Assert.Equal(
            "[1,2,3,4]",
            JsonSerializer.Serialize(connected.GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("clientId").GetInt32())));
        await room.AnnounceAsync(joiner);
        var read = await room.GetAsync(1);
        Assert.Equal(4, read.GetProperty("clientCount").GetInt32());
        Assert.Equal(host.ClientId, read.GetProperty("hostId").GetInt32());
        await nodes[1].Api.CreateRoomAsync();
    }

    [Fact]
    public async Task A_client_that_disconnects_during_an_outage_is_gone_from_the_room_once_redis_returns()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await RelayCluster.StartAsync(2, redis);
        var nodes = cluster.Nodes;
        await using var room = await RoomHarness.CreateAsync(nodes, via: 1);
        var (host, leaver, remote) = (await room.JoinAsync(0), await room.JoinAsync(0), await room.JoinAsync(1));

        await redis.StopAsync();
        foreach (var node in nodes)
        {
            await Eventually.StatusAsync(node.Http, "/readyz", HttpStatusCode.ServiceUnavailable, DetectBound);
        }

        leaver.Abort();
        await redis.RestartAsync();
        foreach (var node in nodes)
        {
            await Eventually.StatusAsync(node.Http, "/readyz", HttpStatusCode.OK, RecoverBound);
        }

        // Whether its neighbour hears of it during the outage or after, every member hears of it once, and no node
        // keeps a ghost member holding a seat.
        await Expect.ClientLeftAsync(host, leaver.ClientId, "disconnected", RecoverBound);
        await Expect.ClientLeftAsync(remote, leaver.ClientId, "disconnected", RecoverBound);
        for (var node = 0; node < nodes.Count; node++)
        {
            var http = nodes[node].Http;
            await Eventually.HoldsAsync(
                async () =>
                {
                    var read = await new RelayApi(http).GetJsonAsync($"/v1/api/rooms/{room.Id}");
                    var ids = string.Join(",", read.GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("clientId").GetInt32()));
                    return (ids == $"{host.ClientId},{remote.ClientId}", $"clients [{ids}]");
                },
                RecoverBound,
                $"node {node} listing only the clients still connected");
        }

        await host.AssertNothingPendingAsync();
        await remote.AssertNothingPendingAsync();
    }
}
