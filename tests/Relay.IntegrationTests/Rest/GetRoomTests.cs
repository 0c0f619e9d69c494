using System.Net;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Rest;

public sealed class GetRoomTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task Get_answers_the_room_with_an_empty_client_list()
    {
        var created = await Server.Api.CreateRoomAsync("""{"maxClients":4,"metadata":{"mode":"duel"}}""");

        var room = await Server.Api.GetJsonAsync($"/v1/api/rooms/{created.Id}");

        Assert.Equal(created.Id, room.GetProperty("id").GetString());
        Assert.Equal("mesh", room.GetProperty("protocol").GetString());
        Assert.Equal("first", room.GetProperty("hostAssignment").GetString());
        Assert.Equal(4, room.GetProperty("maxClients").GetInt32());
        Assert.False(room.GetProperty("locked").GetBoolean());
        Assert.Equal("duel", room.GetProperty("metadata").GetProperty("mode").GetString());
        Assert.Equal(created.Body.GetProperty("createdAt").GetString(), room.GetProperty("createdAt").GetString());
        Assert.Equal(JsonValueKind.Null, room.GetProperty("hostId").ValueKind);
        Assert.Equal(0, room.GetProperty("clientCount").GetInt32());
        Assert.Equal(0, room.GetProperty("clients").GetArrayLength());
    }

    [Fact]
    public async Task Get_lists_the_connected_clients_with_host_and_join_time()
    {
        var created = await Server.Api.CreateRoomAsync();
        await using var alice = await Server.ConnectClientAsync();
        await using var bob = await Server.ConnectClientAsync();
        await alice.JoinAsync(created.Id, created.Secret, "alice");
        await bob.JoinAsync(created.Id, created.Secret, "bob");

        var room = await Server.Api.GetJsonAsync($"/v1/api/rooms/{created.Id}");

        Assert.Equal(alice.ClientId, room.GetProperty("hostId").GetInt32());
        Assert.Equal(2, room.GetProperty("clientCount").GetInt32());
        var clients = room.GetProperty("clients").EnumerateArray().ToArray();
        Assert.Equal(2, clients.Length);
        Assert.Equal(alice.ClientId, clients[0].GetProperty("clientId").GetInt32());
        Assert.Equal("alice", clients[0].GetProperty("name").GetString());
        Assert.True(clients[0].GetProperty("isHost").GetBoolean());
        Assert.Equal(bob.ClientId, clients[1].GetProperty("clientId").GetInt32());
        Assert.Equal("bob", clients[1].GetProperty("name").GetString());
        Assert.False(clients[1].GetProperty("isHost").GetBoolean());
        Assert.All(clients, c => Assert.EndsWith("Z", c.GetProperty("connectedAt").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Get_never_shows_secrets()
    {
        var created = await Server.Api.CreateRoomAsync("""{"secret":"another-known-secret"}""");
        await using var alice = await Server.ConnectClientAsync();
        await alice.JoinAsync(created.Id, created.Secret, "alice");

        using var response = await Server.Http.GetAsync($"/v1/api/rooms/{created.Id}");
        var raw = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("secret", raw, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(created.HostSecret, raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_of_an_unknown_room_answers_404_problem()
    {
        await Problems.AssertNotFoundAsync(Server.Http.GetAsync("/v1/api/rooms/no-such-room"));
    }
}
