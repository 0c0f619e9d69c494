using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Realtime;

public sealed class DisconnectTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task An_aborted_connection_is_announced_as_client_left_disconnected()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob", "carol");

        peers[1].Abort();

        foreach (var other in new[] { peers[0], peers[2] })
        {
            var notice = await other.ExpectAsync("client_left");
            Assert.Equal(peers[1].ClientId, notice.GetProperty("clientId").GetInt32());
            Assert.Equal("disconnected", notice.GetProperty("reason").GetString());
        }
    }

    [Fact]
    public async Task A_normal_close_is_announced_as_client_left_disconnected()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");

        await peers[1].CloseAsync();

        var notice = await peers[0].ExpectAsync("client_left");
        Assert.Equal(peers[1].ClientId, notice.GetProperty("clientId").GetInt32());
        Assert.Equal("disconnected", notice.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_normal_close_is_answered_with_a_normal_close()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice");

        await peers[0].CloseAsync();

        var (status, _) = await peers[0].WaitForCloseAsync();
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, status);
    }

    [Fact]
    public async Task A_disconnected_client_is_removed_from_the_room()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");

        peers[1].Abort();
        await peers[0].ExpectAsync("client_left");

        var details = await Server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}");
        Assert.Equal(1, details.GetProperty("clientCount").GetInt32());
        await peers[0].SendTextAsync("""{"type":"broadcast","data":1}""");
        await peers[0].AssertNothingPendingAsync();
    }
}
