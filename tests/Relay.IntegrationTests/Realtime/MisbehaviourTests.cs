using System.Net.WebSockets;
using System.Text;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Realtime;

/// <summary>One client misbehaving must not disturb the others or the server.</summary>
public sealed class MisbehaviourTests
{
    [Fact]
    public async Task Garbage_from_one_client_reaches_nobody_and_the_room_keeps_working()
    {
        await using var server = await RelayServer.StartAsync();
        var room = await server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(server, room, "mallory", "bob", "carol");
        var mallory = peers[0];

        foreach (var junk in new[] { "not json", "{", "[]", """{"type":7}""", """{"type":"explode"}""", """{"type":"send","to":"all","data":1}""" })
        {
            await mallory.SendTextAsync(junk);
            await mallory.ExpectAsync("error");
        }

        await mallory.SendBinaryAsync([0xFF, 0xFE, 0x00]);
        await mallory.ExpectAsync("error");
        await mallory.SendAsync(Encoding.UTF8.GetBytes("{\"type\":\"ping\""), WebSocketMessageType.Binary);
        await mallory.ExpectAsync("error");

        await peers[1].AssertNothingPendingAsync();
        await peers[2].AssertNothingPendingAsync();
        await peers[1].SendTextAsync("""{"type":"broadcast","data":"fine"}""");
        Assert.Equal("fine", (await peers[2].ExpectAsync("message")).GetProperty("data").GetString());
        Assert.Equal("fine", (await mallory.ExpectAsync("message")).GetProperty("data").GetString());
    }

    [Fact]
    public async Task An_oversized_message_closes_only_its_sender()
    {
        await using var server = await RelayServer.StartAsync(("Relay:MaxMessageBytes", "2048"));
        var room = await server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(server, room, "bob", "carol", "mallory");
        var mallory = peers[2];

        await mallory.SendTextAsync(MessageSizeTests.BroadcastOfSize(10_000));
        await mallory.WaitForCloseAsync();
        await peers[0].ExpectAsync("client_left");
        await peers[1].ExpectAsync("client_left");

        await peers[0].SendTextAsync("""{"type":"broadcast","data":"still up"}""");
        Assert.Equal("still up", (await peers[1].ExpectAsync("message")).GetProperty("data").GetString());
        await using var dave = await server.ConnectClientAsync();
        await dave.JoinAsync(room.Id, room.Secret, "dave");
        Assert.Equal(dave.ClientId, (await peers[0].ExpectAsync("client_joined")).GetProperty("clientId").GetInt32());
        using var health = await server.Http.GetAsync("/healthz");
        Assert.True(health.IsSuccessStatusCode);
    }

    [Fact]
    public async Task A_client_dropping_mid_message_is_removed_and_the_room_keeps_working()
    {
        await using var server = await RelayServer.StartAsync();
        var room = await server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(server, room, "bob", "carol", "mallory");
        var mallory = peers[2];

        await mallory.Socket.SendAsync(
            Encoding.UTF8.GetBytes("""{"type":"broadcast","data":"half"""),
            WebSocketMessageType.Text,
            endOfMessage: false,
            CancellationToken.None);
        mallory.Abort();

        var notice = await peers[0].ExpectAsync("client_left");
        Assert.Equal("disconnected", notice.GetProperty("reason").GetString());
        await peers[1].ExpectAsync("client_left");
        await peers[0].SendTextAsync("""{"type":"broadcast","data":"go on"}""");
        Assert.Equal("go on", (await peers[1].ExpectAsync("message")).GetProperty("data").GetString());
    }

    [Fact]
    public async Task Many_clients_failing_to_connect_do_not_affect_a_connected_room()
    {
        await using var server = await RelayServer.StartAsync();
        var room = await server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(server, room, "alice", "bob");

        for (var i = 0; i < 10; i++)
        {
            await using var intruder = await server.ConnectClientAsync();
            await intruder.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = $"guess-{i}-guess" });
            await intruder.ExpectErrorAsync("invalid_secret");
        }

        await peers[0].AssertNothingPendingAsync();
        await peers[0].SendTextAsync("""{"type":"broadcast","data":"ok"}""");
        Assert.Equal("ok", (await peers[1].ExpectAsync("message")).GetProperty("data").GetString());
    }
}
