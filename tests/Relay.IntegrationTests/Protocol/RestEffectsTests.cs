using System.Net;
using System.Net.WebSockets;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Protocol;

/// <summary>What backend REST calls do to the clients in a room (PATCH, DELETE, push, kick, supplied id and secret).</summary>
public sealed class RestEffectsTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    private async Task PatchAsync(string roomId, string json)
    {
        using var response = await Server.Api.PatchJsonAsync($"/v1/api/rooms/{roomId}", json);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"PATCH: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private async Task<TestClient> RefusedJoinAsync(RoomHarness room, string code)
    {
        var client = await Server.ConnectClientAsync();
        await client.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Room.Secret, @ref = "late" });
        var error = await client.ExpectErrorAsync(code);
        Assert.Equal("late", error.GetProperty("ref").GetString());
        return client;
    }

    [Fact]
    public async Task Lowering_maxClients_below_the_count_keeps_present_clients_relaying()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);

        await PatchAsync(room.Id, """{"maxClients":1}""");
        await room[2].SendJsonAsync(new { type = "broadcast", data = 42 });

        await Expect.MessageAsync(room[0], room[2].ClientId, "42");
        await Expect.MessageAsync(room[1], room[2].ClientId, "42");
        var details = await Server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}");
        Assert.Equal(3, details.GetProperty("clients").GetArrayLength());
    }

    [Fact]
    public async Task Lowering_maxClients_below_the_count_refuses_new_connects_with_room_full()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);

        await PatchAsync(room.Id, """{"maxClients":2}""");

        await using var late = await RefusedJoinAsync(room, "room_full");
        foreach (var client in room.Clients)
        {
            await client.AssertNothingPendingAsync();
        }
    }

    [Fact]
    public async Task Locking_a_room_refuses_new_connects_with_room_locked_and_keeps_present_clients()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 2);

        await PatchAsync(room.Id, """{"locked":true}""");

        await using var late = await RefusedJoinAsync(room, "room_locked");
        await room[1].SendJsonAsync(new { type = "broadcast", data = "still here" });
        await Expect.MessageAsync(room[0], room[1].ClientId, "\"still here\"");
    }

    [Fact]
    public async Task Unlocking_a_room_lets_connects_in_again()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 1);
        await PatchAsync(room.Id, """{"locked":true}""");
        await using var refused = await RefusedJoinAsync(room, "room_locked");

        await PatchAsync(room.Id, """{"locked":false}""");

        await room.JoinAsync();
        await refused.JoinAsync(room.Id, room.Room.Secret);
    }

    [Fact]
    public async Task Deleting_a_room_sends_every_client_room_closed_deleted_and_closes_with_4000()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);

        using var response = await Server.Http.DeleteAsync(new Uri($"/v1/api/rooms/{room.Id}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        foreach (var client in room.Clients)
        {
            await Expect.RoomClosedAsync(client, "deleted", (WebSocketCloseStatus)4000);
        }
    }

    [Fact]
    public async Task Pushed_message_reaches_every_client_from_0_byte_for_byte()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);
        const string data = """{ "notice" : [1, 2.50, "é", null, {"deep":true}] }""";

        using var response = await Server.Api.PostJsonAsync($"/v1/api/rooms/{room.Id}/messages", $$"""{"data":{{data}}}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await RelayApi.ReadJsonAsync(response);
        Assert.Equal(3, body.GetProperty("recipients").GetInt32());
        foreach (var client in room.Clients)
        {
            await Expect.MessageAsync(client, 0, data);
        }
    }

    [Fact]
    public async Task Pushed_message_with_to_reaches_only_the_listed_clients()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);
        var (first, skipped, last) = (room[0], room[1], room[2]);

        using var response = await Server.Api.PostJsonAsync(
            $"/v1/api/rooms/{room.Id}/messages",
            $$"""{"data":"hi","to":[{{first.ClientId}},{{last.ClientId}}]}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await RelayApi.ReadJsonAsync(response);
        Assert.Equal(2, body.GetProperty("recipients").GetInt32());
        await Expect.MessageAsync(first, 0, "\"hi\"");
        await Expect.MessageAsync(last, 0, "\"hi\"");
        await skipped.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Pushed_message_recipients_counts_only_clients_in_the_room()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 2);
        var (first, second) = (room[0], room[1]);

        using var response = await Server.Api.PostJsonAsync(
            $"/v1/api/rooms/{room.Id}/messages",
            $$"""{"data":1,"to":[{{second.ClientId}},999]}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await RelayApi.ReadJsonAsync(response);
        Assert.Equal(1, body.GetProperty("recipients").GetInt32());
        await Expect.MessageAsync(second, 0, "1");
        await first.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Kicking_through_rest_sends_the_client_kicked_and_close_4001()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 2);
        var target = room[1];

        using var response = await Server.Http.DeleteAsync(new Uri($"/v1/api/rooms/{room.Id}/clients/{target.ClientId}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await Expect.KickedAsync(target, reason: null);
    }

    [Fact]
    public async Task Kicking_through_rest_tells_the_others_client_left_kicked()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);
        var (host, target, other) = (room[0], room[1], room[2]);

        using var response = await Server.Http.DeleteAsync(new Uri($"/v1/api/rooms/{room.Id}/clients/{target.ClientId}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await Expect.ClientLeftAsync(host, target.ClientId, "kicked");
        await Expect.ClientLeftAsync(other, target.ClientId, "kicked");
    }

    [Fact]
    public async Task Kicking_the_host_through_rest_passes_host_on_in_a_mesh_room()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);
        var (host, successor, other) = (room[0], room[1], room[2]);

        using var response = await Server.Http.DeleteAsync(new Uri($"/v1/api/rooms/{room.Id}/clients/{host.ClientId}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await Expect.KickedAsync(host, reason: null);
        foreach (var client in new[] { successor, other })
        {
            await Expect.ClientLeftAsync(client, host.ClientId, "kicked");
            await Expect.HostChangedAsync(client, successor.ClientId);
        }
    }

    [Fact]
    public async Task Backend_supplied_id_and_secret_work_for_connecting()
    {
        var id = $"game_{Guid.NewGuid():N}"[..20];
        const string secret = "backend-chosen-join-secret-0123456789";
        var created = await Server.Api.CreateRoomAsync($$"""{"id":"{{id}}","secret":"{{secret}}"}""");
        Assert.Equal(id, created.Id);
        Assert.Equal(secret, created.Secret);
        await using var client = await Server.ConnectClientAsync();

        var connected = await client.JoinAsync(id, secret, "alice");

        Assert.Equal(id, connected.GetProperty("roomId").GetString());
        Assert.True(connected.GetProperty("isHost").GetBoolean());
    }

    [Fact]
    public async Task Backend_supplied_room_still_accepts_its_host_secret()
    {
        var id = $"game-{Guid.NewGuid():N}";
        var created = await Server.Api.CreateRoomAsync($$"""{"id":"{{id}}","secret":"my-own-secret-value-123456","hostAssignment":"secret"}""");
        await using var client = await Server.ConnectClientAsync();

        var connected = await client.JoinAsync(id, created.HostSecret);

        Assert.True(connected.GetProperty("isHost").GetBoolean());
        Assert.Equal(client.ClientId, Expect.HostIdOf(connected));
    }
}
