using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Realtime;

public sealed class LeaveTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task Leave_answers_left_with_the_ref_and_others_get_client_left_left()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob", "carol");

        await peers[1].SendJsonAsync(new { type = "leave", @ref = "bye" });

        var left = await peers[1].ExpectAsync("left");
        Assert.Equal("bye", left.GetProperty("ref").GetString());
        foreach (var other in new[] { peers[0], peers[2] })
        {
            var notice = await other.ExpectAsync("client_left");
            Assert.Equal(peers[1].ClientId, notice.GetProperty("clientId").GetInt32());
            Assert.Equal("left", notice.GetProperty("reason").GetString());
        }
    }

    [Fact]
    public async Task Leave_echoes_an_integer_ref()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice");

        await peers[0].SendTextAsync("""{"type":"leave","ref":7}""");

        Assert.Equal(7, (await peers[0].ExpectAsync("left")).GetProperty("ref").GetInt32());
    }

    [Fact]
    public async Task After_leave_the_same_connection_can_connect_again_with_a_new_id()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");
        var oldId = peers[1].ClientId;
        await peers[1].SendJsonAsync(new { type = "leave" });
        await peers[1].ExpectAsync("left");
        await peers[0].ExpectAsync("client_left");

        var connected = await peers[1].JoinAsync(room.Id, room.Secret, "bob");

        Assert.NotEqual(oldId, peers[1].ClientId);
        Assert.Equal(2, connected.GetProperty("clients").GetArrayLength());
        var joined = await peers[0].ExpectAsync("client_joined");
        Assert.Equal(peers[1].ClientId, joined.GetProperty("clientId").GetInt32());
    }

    [Fact]
    public async Task After_leave_the_connection_can_join_another_room()
    {
        var room = await Server.Api.CreateRoomAsync();
        var other = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice");
        await peers[0].SendJsonAsync(new { type = "leave" });
        await peers[0].ExpectAsync("left");

        var connected = await peers[0].JoinAsync(other.Id, other.Secret, "alice");

        Assert.Equal(other.Id, connected.GetProperty("roomId").GetString());
    }

    [Fact]
    public async Task After_leave_room_messages_no_longer_arrive_and_broadcast_is_not_connected()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");
        await peers[1].SendJsonAsync(new { type = "leave" });
        await peers[1].ExpectAsync("left");
        await peers[0].ExpectAsync("client_left");

        await peers[0].SendTextAsync("""{"type":"broadcast","data":"anyone?"}""");
        await peers[0].AssertNothingPendingAsync();
        await peers[1].AssertNothingPendingAsync();
        await peers[1].SendTextAsync("""{"type":"broadcast","data":"me?"}""");

        await peers[1].ExpectErrorAsync("not_connected");
        await peers[0].AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Leave_twice_fails_the_second_time_with_not_connected()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice");
        await peers[0].SendJsonAsync(new { type = "leave" });
        await peers[0].ExpectAsync("left");

        await peers[0].SendJsonAsync(new { type = "leave", @ref = "again" });

        var error = await peers[0].ExpectErrorAsync("not_connected");
        Assert.Equal("again", error.GetProperty("ref").GetString());
    }

    [Fact]
    public async Task Leave_is_reflected_in_the_rest_room_read()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");

        await peers[1].SendJsonAsync(new { type = "leave" });
        await peers[1].ExpectAsync("left");

        var details = await Server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}");
        Assert.Equal(1, details.GetProperty("clientCount").GetInt32());
        Assert.Equal(peers[0].ClientId, details.GetProperty("clients")[0].GetProperty("clientId").GetInt32());
    }
}
