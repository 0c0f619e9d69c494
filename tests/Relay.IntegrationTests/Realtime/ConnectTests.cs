using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Realtime;

public sealed class ConnectTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task Connected_describes_the_room_and_the_first_client_as_host()
    {
        var room = await Server.Api.CreateRoomAsync("""{"metadata":{"map":"harbour","tags":["a","b"],"round":3}}""");
        await using var alice = await Server.ConnectClientAsync();

        await alice.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Secret, name = "alice", @ref = "c-1" });
        var connected = await alice.ExpectAsync("connected");

        Assert.Equal(room.Id, connected.GetProperty("roomId").GetString());
        Assert.Equal(1, connected.GetProperty("clientId").GetInt32());
        Assert.Equal(1, connected.GetProperty("hostId").GetInt32());
        Assert.True(connected.GetProperty("isHost").GetBoolean());
        Assert.Equal("mesh", connected.GetProperty("protocol").GetString());
        var metadata = connected.GetProperty("metadata");
        Assert.Equal("harbour", metadata.GetProperty("map").GetString());
        Assert.Equal(["a", "b"], metadata.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(3, metadata.GetProperty("round").GetInt32());
        var self = Assert.Single(connected.GetProperty("clients").EnumerateArray());
        Assert.Equal(1, self.GetProperty("clientId").GetInt32());
        Assert.Equal("alice", self.GetProperty("name").GetString());
        Assert.True(self.GetProperty("isHost").GetBoolean());
        Assert.Equal("c-1", connected.GetProperty("ref").GetString());
    }

    [Fact]
    public async Task Connected_shows_an_empty_metadata_object_by_default()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var alice = await Server.ConnectClientAsync();

        var connected = await alice.JoinAsync(room.Id, room.Secret, "alice");

        Assert.Equal(JsonValueKind.Object, connected.GetProperty("metadata").ValueKind);
        Assert.Empty(connected.GetProperty("metadata").EnumerateObject());
    }

    [Fact]
    public async Task Connected_echoes_an_integer_ref_as_an_integer()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var alice = await Server.ConnectClientAsync();

        await alice.SendTextAsync($$"""{"type":"connect","roomId":"{{room.Id}}","secret":"{{room.Secret}}","ref":12345}""");
        var connected = await alice.ExpectAsync("connected");

        Assert.Equal(JsonValueKind.Number, connected.GetProperty("ref").ValueKind);
        Assert.Equal(12345, connected.GetProperty("ref").GetInt64());
    }

    [Fact]
    public async Task Connected_without_a_ref_carries_no_ref()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var alice = await Server.ConnectClientAsync();

        var connected = await alice.JoinAsync(room.Id, room.Secret, "alice");

        Assert.False(connected.TryGetProperty("ref", out _), connected.GetRawText());
    }

    [Fact]
    public async Task Connected_shows_the_room_protocol()
    {
        var room = await Server.Api.CreateRoomAsync("""{"protocol":"host"}""");
        await using var alice = await Server.ConnectClientAsync();

        var connected = await alice.JoinAsync(room.Id, room.Secret, "alice");

        Assert.Equal("host", connected.GetProperty("protocol").GetString());
    }

    [Fact]
    public async Task Connected_shows_metadata_changed_by_the_backend()
    {
        var room = await Server.Api.CreateRoomAsync("""{"metadata":{"stage":1}}""");
        using var patched = await Server.Api.PatchJsonAsync($"/v1/api/rooms/{room.Id}", """{"metadata":{"stage":2}}""");
        Assert.True(patched.IsSuccessStatusCode);
        await using var alice = await Server.ConnectClientAsync();

        var connected = await alice.JoinAsync(room.Id, room.Secret, "alice");

        Assert.Equal(2, connected.GetProperty("metadata").GetProperty("stage").GetInt32());
    }

    [Fact]
    public async Task Second_client_is_not_host_and_sees_every_client()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var alice = await Server.ConnectClientAsync();
        await using var bob = await Server.ConnectClientAsync();
        await alice.JoinAsync(room.Id, room.Secret, "alice");

        var connected = await bob.JoinAsync(room.Id, room.Secret, "bob");

        Assert.Equal(2, connected.GetProperty("clientId").GetInt32());
        Assert.False(connected.GetProperty("isHost").GetBoolean());
        Assert.Equal(alice.ClientId, connected.GetProperty("hostId").GetInt32());
        var clients = connected.GetProperty("clients").EnumerateArray()
            .ToDictionary(c => c.GetProperty("clientId").GetInt32());
        Assert.Equal(2, clients.Count);
        Assert.Equal("alice", clients[alice.ClientId].GetProperty("name").GetString());
        Assert.True(clients[alice.ClientId].GetProperty("isHost").GetBoolean());
        Assert.Equal("bob", clients[bob.ClientId].GetProperty("name").GetString());
        Assert.False(clients[bob.ClientId].GetProperty("isHost").GetBoolean());
    }

    [Fact]
    public async Task Others_get_client_joined_with_id_and_name_but_the_joiner_does_not()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var alice = await Server.ConnectClientAsync();
        await using var bob = await Server.ConnectClientAsync();
        await alice.JoinAsync(room.Id, room.Secret, "alice");

        await bob.JoinAsync(room.Id, room.Secret, "bob");

        var joined = await alice.ExpectAsync("client_joined");
        Assert.Equal(bob.ClientId, joined.GetProperty("clientId").GetInt32());
        Assert.Equal("bob", joined.GetProperty("name").GetString());
        await bob.AssertNothingPendingAsync();
        await alice.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Client_ids_are_1_2_3_in_join_order()
    {
        var room = await Server.Api.CreateRoomAsync();

        await using var peers = await RoomHarness.JoinAsync(Server, room, "a", "b", "c");

        Assert.Equal([1, 2, 3], new[] { peers[0].ClientId, peers[1].ClientId, peers[2].ClientId });
    }

    [Fact]
    public async Task Client_ids_are_scoped_to_the_room()
    {
        var first = await Server.Api.CreateRoomAsync();
        var second = await Server.Api.CreateRoomAsync();
        await using var inFirst = await RoomHarness.JoinAsync(Server, first, "a", "b");

        await using var inSecond = await RoomHarness.JoinAsync(Server, second, "c");

        Assert.Equal(1, inSecond[0].ClientId);
    }

    [Fact]
    public async Task Client_ids_are_not_reused_after_a_leave()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "a", "b");
        await peers[1].SendJsonAsync(new { type = "leave" });
        await peers[1].ExpectAsync("left");
        await peers[0].ExpectAsync("client_left");

        var rejoined = await peers[1].JoinAsync(room.Id, room.Secret, "b-again");
        await using var newcomer = await Server.ConnectClientAsync();
        var fresh = await newcomer.JoinAsync(room.Id, room.Secret, "c");

        Assert.Equal(3, rejoined.GetProperty("clientId").GetInt32());
        Assert.Equal(4, fresh.GetProperty("clientId").GetInt32());
    }

    [Fact]
    public async Task Client_ids_are_not_reused_after_a_disconnect()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "a", "b");
        peers[1].Abort();
        await peers[0].ExpectAsync("client_left");

        await using var newcomer = await Server.ConnectClientAsync();
        var connected = await newcomer.JoinAsync(room.Id, room.Secret, "c");

        Assert.Equal(3, connected.GetProperty("clientId").GetInt32());
    }
}
