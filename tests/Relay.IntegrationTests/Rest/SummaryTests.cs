using System.Net;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Rest;

/// <summary>Each test runs its own server so that the counts are exact.</summary>
public sealed class SummaryTests
{
    [Fact]
    public async Task Summary_of_a_fresh_server_is_all_zero()
    {
        await using var server = await RelayServer.StartAsync();

        using var response = await server.Http.GetAsync("/v1/api/summary");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var summary = await RelayApi.ReadJsonAsync(response);
        Assert.Equal(0, summary.GetProperty("rooms").GetInt32());
        Assert.Equal(0, summary.GetProperty("clients").GetInt32());
        Assert.Equal(0, summary.GetProperty("roomsByProtocol").GetProperty("mesh").GetInt32());
        Assert.Equal(0, summary.GetProperty("roomsByProtocol").GetProperty("host").GetInt32());
        Assert.Equal(0, summary.GetProperty("messagesRelayed").GetInt64());
        Assert.Equal(0, summary.GetProperty("bytesRelayed").GetInt64());
        Assert.Equal(JsonValueKind.Number, summary.GetProperty("uptimeSeconds").ValueKind);
        Assert.True(summary.GetProperty("uptimeSeconds").GetInt64() >= 0);
    }

    [Fact]
    public async Task Summary_counts_rooms_by_protocol()
    {
        await using var server = await RelayServer.StartAsync();
        await server.Api.CreateRoomAsync();
        var doomed = await server.Api.CreateRoomAsync("""{"protocol":"mesh"}""");
        await server.Api.CreateRoomAsync("""{"protocol":"host"}""");

        var summary = await server.Api.GetJsonAsync("/v1/api/summary");
        Assert.Equal(3, summary.GetProperty("rooms").GetInt32());
        Assert.Equal(2, summary.GetProperty("roomsByProtocol").GetProperty("mesh").GetInt32());
        Assert.Equal(1, summary.GetProperty("roomsByProtocol").GetProperty("host").GetInt32());

        using var deleted = await server.Http.DeleteAsync($"/v1/api/rooms/{doomed.Id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        summary = await server.Api.GetJsonAsync("/v1/api/summary");
        Assert.Equal(2, summary.GetProperty("rooms").GetInt32());
        Assert.Equal(1, summary.GetProperty("roomsByProtocol").GetProperty("mesh").GetInt32());
    }

    [Fact]
    public async Task Summary_counts_clients_in_rooms()
    {
        await using var server = await RelayServer.StartAsync();
        var first = await server.Api.CreateRoomAsync();
        var second = await server.Api.CreateRoomAsync();
        await using var alice = await server.ConnectClientAsync();
        await using var bob = await server.ConnectClientAsync();
        await using var carol = await server.ConnectClientAsync();
        await alice.JoinAsync(first.Id, first.Secret);
        await bob.JoinAsync(first.Id, first.Secret);
        await carol.JoinAsync(second.Id, second.Secret);

        Assert.Equal(3, (await server.Api.GetJsonAsync("/v1/api/summary")).GetProperty("clients").GetInt32());

        await carol.SendJsonAsync(new { type = "leave" });
        await carol.ExpectAsync("left");
        Assert.Equal(2, (await server.Api.GetJsonAsync("/v1/api/summary")).GetProperty("clients").GetInt32());
    }

    [Fact]
    public async Task Summary_counts_each_relayed_message_once_with_its_payload_bytes()
    {
        await using var server = await RelayServer.StartAsync();
        var room = await server.Api.CreateRoomAsync();
        await using var alice = await server.ConnectClientAsync();
        await using var bob = await server.ConnectClientAsync();
        await using var carol = await server.ConnectClientAsync();
        await alice.JoinAsync(room.Id, room.Secret);
        await bob.JoinAsync(room.Id, room.Secret);
        await carol.JoinAsync(room.Id, room.Secret);
        await alice.ExpectAsync("client_joined");
        await alice.ExpectAsync("client_joined");
        await bob.ExpectAsync("client_joined");

        // One broadcast to two recipients: 7 payload bytes ("hello" with its quotes).
        await alice.SendTextAsync("""{"type":"broadcast","data":"hello"}""");
        await bob.ExpectAsync("message");
        await carol.ExpectAsync("message");
        await alice.AssertNothingPendingAsync(); // the broadcast is fully handled before the pong
        var summary = await RelayedSummaryAsync(server, expectedMessages: 1);
        Assert.Equal(1, summary.GetProperty("messagesRelayed").GetInt64());
        Assert.Equal(7, summary.GetProperty("bytesRelayed").GetInt64());

        // One backend push: 5 payload bytes.
        using var pushed = await server.Api.PostJsonAsync($"/v1/api/rooms/{room.Id}/messages", """{"data":[1,2]}""");
        Assert.Equal(HttpStatusCode.Accepted, pushed.StatusCode);
        summary = await RelayedSummaryAsync(server, expectedMessages: 2);
        Assert.Equal(2, summary.GetProperty("messagesRelayed").GetInt64());
        Assert.Equal(12, summary.GetProperty("bytesRelayed").GetInt64());
    }

    /// <summary>
    /// The summary once it counts <paramref name="expectedMessages"/> relays. A single node counts at once; in a
    /// cluster the other nodes' counts arrive with their heartbeats, so it is polled (bounded) there.
    /// </summary>
    private static Task<System.Text.Json.JsonElement> RelayedSummaryAsync(RelayServer server, long expectedMessages) =>
        Eventually.ValueAsync(
            () => server.Api.GetJsonAsync("/v1/api/summary"),
            summary => !RelayServer.ClusterTopology || summary.GetProperty("messagesRelayed").GetInt64() >= expectedMessages,
            TimeSpan.FromSeconds(10),
            $"the summary counting {expectedMessages} relayed messages");
}
