using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Realtime;

/// <summary>`connect` refusals: each is an `error` echoing the ref, and the connection stays usable.</summary>
public sealed class ConnectErrorTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task Connect_to_an_unknown_room_fails_with_room_not_found_and_a_later_connect_works()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var client = await Server.ConnectClientAsync();

        await client.SendJsonAsync(new { type = "connect", roomId = "no-such-room", secret = room.Secret, @ref = "nf" });

        var error = await client.ExpectErrorAsync("room_not_found");
        Assert.Equal("nf", error.GetProperty("ref").GetString());
        await client.JoinAsync(room.Id, room.Secret, "after");
    }

    [Fact]
    public async Task Connect_with_a_wrong_secret_fails_with_invalid_secret_and_a_later_connect_works()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var client = await Server.ConnectClientAsync();

        await client.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = "not-the-secret", @ref = 5 });

        var error = await client.ExpectErrorAsync("invalid_secret");
        Assert.Equal(5, error.GetProperty("ref").GetInt32());
        await client.JoinAsync(room.Id, room.Secret, "after");
    }

    [Fact]
    public async Task A_refused_connect_is_not_announced_to_the_room()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var alice = await Server.ConnectClientAsync();
        await using var mallory = await Server.ConnectClientAsync();
        await alice.JoinAsync(room.Id, room.Secret, "alice");

        await mallory.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = "guessing-the-secret" });
        await mallory.ExpectErrorAsync("invalid_secret");

        await alice.AssertNothingPendingAsync();
        var details = await Server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}");
        Assert.Equal(1, details.GetProperty("clientCount").GetInt32());
    }

    [Fact]
    public async Task Connect_to_a_full_room_fails_with_room_full_and_succeeds_once_a_seat_frees()
    {
        var room = await Server.Api.CreateRoomAsync("""{"maxClients":1}""");
        await using var alice = await Server.ConnectClientAsync();
        await using var bob = await Server.ConnectClientAsync();
        await alice.JoinAsync(room.Id, room.Secret, "alice");

        await bob.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Secret, @ref = "full" });

        var error = await bob.ExpectErrorAsync("room_full");
        Assert.Equal("full", error.GetProperty("ref").GetString());
        await bob.AssertNothingPendingAsync();
        await alice.SendJsonAsync(new { type = "leave" });
        await alice.ExpectAsync("left");
        await bob.JoinAsync(room.Id, room.Secret, "bob");
    }

    [Fact]
    public async Task Connect_to_a_locked_room_fails_with_room_locked_and_succeeds_once_unlocked()
    {
        var room = await Server.Api.CreateRoomAsync();
        using (var locked = await Server.Api.PatchJsonAsync($"/v1/api/rooms/{room.Id}", """{"locked":true}"""))
        {
            Assert.True(locked.IsSuccessStatusCode);
        }

        await using var client = await Server.ConnectClientAsync();
        await client.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Secret, @ref = "lk" });

        var error = await client.ExpectErrorAsync("room_locked");
        Assert.Equal("lk", error.GetProperty("ref").GetString());
        using (var unlocked = await Server.Api.PatchJsonAsync($"/v1/api/rooms/{room.Id}", """{"locked":false}"""))
        {
            Assert.True(unlocked.IsSuccessStatusCode);
        }

        await client.JoinAsync(room.Id, room.Secret, "after");
    }

    [Fact]
    public async Task Locking_a_room_keeps_the_clients_already_in_it()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");
        using (var locked = await Server.Api.PatchJsonAsync($"/v1/api/rooms/{room.Id}", """{"locked":true}"""))
        {
            Assert.True(locked.IsSuccessStatusCode);
        }

        await peers[0].SendTextAsync("""{"type":"broadcast","data":"still here"}""");

        var message = await peers[1].ExpectAsync("message");
        Assert.Equal("still here", message.GetProperty("data").GetString());
    }

    [Fact]
    public async Task Connect_while_in_a_room_fails_with_already_connected_and_keeps_the_membership()
    {
        var room = await Server.Api.CreateRoomAsync();
        var other = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");

        await peers[1].SendJsonAsync(new { type = "connect", roomId = other.Id, secret = other.Secret, @ref = "again" });

        var error = await peers[1].ExpectErrorAsync("already_connected");
        Assert.Equal("again", error.GetProperty("ref").GetString());
        await peers[0].AssertNothingPendingAsync();
        await peers[0].SendTextAsync("""{"type":"broadcast","data":1}""");
        Assert.Equal(peers[0].ClientId, (await peers[1].ExpectAsync("message")).GetProperty("from").GetInt32());
        var otherRoom = await Server.Api.GetJsonAsync($"/v1/api/rooms/{other.Id}");
        Assert.Equal(0, otherRoom.GetProperty("clientCount").GetInt32());
    }

    [Fact]
    public async Task Connect_to_the_same_room_twice_fails_with_already_connected()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var client = await Server.ConnectClientAsync();
        await client.JoinAsync(room.Id, room.Secret, "alice");

        await client.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Secret });

        await client.ExpectErrorAsync("already_connected");
        await client.AssertNothingPendingAsync();
        var details = await Server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}");
        Assert.Equal(1, details.GetProperty("clientCount").GetInt32());
    }

    [Theory]
    [InlineData("""{"type":"broadcast","data":1,"ref":"nc"}""")]
    [InlineData("""{"type":"send","to":[1],"data":1,"ref":"nc"}""")]
    [InlineData("""{"type":"leave","ref":"nc"}""")]
    public async Task Connected_only_messages_before_connect_fail_with_not_connected(string message)
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var alice = await Server.ConnectClientAsync();
        await alice.JoinAsync(room.Id, room.Secret, "alice");
        await using var stranger = await Server.ConnectClientAsync();

        await stranger.SendTextAsync(message);

        var error = await stranger.ExpectErrorAsync("not_connected");
        Assert.Equal("nc", error.GetProperty("ref").GetString());
        await alice.AssertNothingPendingAsync();
        await stranger.JoinAsync(room.Id, room.Secret, "stranger");
    }
}
