using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Protocol;

/// <summary>What happens when the host leaves (`leave`) or disconnects (the socket drops), per protocol.</summary>
public sealed class HostDepartureTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    /// <summary>Makes <paramref name="host"/> depart; returns the `client_left` reason the others should see.</summary>
    private static async Task<string> DepartAsync(TestClient host, string how)
    {
        if (how == "leave")
        {
            await host.SendJsonAsync(new { type = "leave", @ref = "bye" });
            var left = await host.ExpectAsync("left");
            Assert.Equal("bye", left.GetProperty("ref").GetString());
            return "left";
        }

        host.Abort();
        return "disconnected";
    }

    [Theory]
    [InlineData("leave")]
    [InlineData("abort")]
    public async Task Mesh_first_passes_host_to_the_longest_connected_client(string how)
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3, "mesh", "first");
        var (host, longest, newest) = (room[0], room[1], room[2]);

        var reason = await DepartAsync(host, how);

        foreach (var client in new[] { longest, newest })
        {
            await Expect.ClientLeftAsync(client, host.ClientId, reason);
            await Expect.HostChangedAsync(client, longest.ClientId);
        }

        var details = await Server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}");
        Assert.Equal(longest.ClientId, details.GetProperty("hostId").GetInt32());
    }

    [Theory]
    [InlineData("leave")]
    [InlineData("abort")]
    public async Task Mesh_first_passes_host_to_the_longest_connected_client_not_the_newest_host_secret_holder(string how)
    {
        // The host-secret holder joins last and takes over; when it goes, the first joiner is longest-connected.
        await using var room = await RoomHarness.CreateAsync(Server, clients: 2, "mesh", "first");
        var (longest, other) = (room[0], room[1]);
        var host = await room.JoinAsync(room.Room.HostSecret);
        await Expect.HostChangedAsync(longest, host.ClientId);
        await Expect.HostChangedAsync(other, host.ClientId);

        var reason = await DepartAsync(host, how);

        foreach (var client in new[] { longest, other })
        {
            await Expect.ClientLeftAsync(client, host.ClientId, reason);
            await Expect.HostChangedAsync(client, longest.ClientId);
        }
    }

    [Fact]
    public async Task Mesh_new_host_after_a_departure_can_use_host_powers()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3, "mesh", "first");
        var (host, successor, other) = (room[0], room[1], room[2]);
        await DepartAsync(host, "leave");
        foreach (var client in new[] { successor, other })
        {
            await Expect.ClientLeftAsync(client, host.ClientId, "left");
            await Expect.HostChangedAsync(client, successor.ClientId);
        }

        await successor.SendJsonAsync(new { type = "kick", clientId = other.ClientId, reason = "bye" });

        await Expect.KickedAsync(other, "bye");
    }

    [Theory]
    [InlineData("leave")]
    [InlineData("abort")]
    public async Task Mesh_secret_leaves_the_room_without_a_host(string how)
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 2, "mesh", "secret");
        var (first, second) = (room[0], room[1]);
        var host = await room.JoinAsync(room.Room.HostSecret);
        await Expect.HostChangedAsync(first, host.ClientId);
        await Expect.HostChangedAsync(second, host.ClientId);

        var reason = await DepartAsync(host, how);

        foreach (var client in new[] { first, second })
        {
            await Expect.ClientLeftAsync(client, host.ClientId, reason);
            await Expect.HostChangedAsync(client, null);
        }

        var details = await Server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}");
        Assert.Equal(JsonValueKind.Null, details.GetProperty("hostId").ValueKind);
    }

    [Fact]
    public async Task Mesh_a_non_host_leaving_does_not_change_the_host()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3, "mesh", "first");
        var (host, leaver, other) = (room[0], room[1], room[2]);

        await DepartAsync(leaver, "leave");

        await Expect.ClientLeftAsync(host, leaver.ClientId, "left");
        await Expect.ClientLeftAsync(other, leaver.ClientId, "left");
        await host.AssertNothingPendingAsync();
        await other.AssertNothingPendingAsync();
    }

    [Theory]
    [InlineData("leave")]
    [InlineData("abort")]
    public async Task Host_protocol_room_closes_with_host_left_when_the_host_departs(string how)
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3, "host");
        var host = room[0];

        await DepartAsync(host, how);

        foreach (var client in new[] { room[1], room[2] })
        {
            await Expect.RoomClosedAsync(client, "host_left", (WebSocketCloseStatus)4000);
        }

        Assert.Equal(HttpStatusCode.NotFound, await room.GetStatusAsync());
    }

    [Fact]
    public async Task Host_protocol_host_that_left_keeps_its_connection_and_may_connect_elsewhere()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 2, "host");
        var host = room[0];
        await DepartAsync(host, "leave");
        await Expect.RoomClosedAsync(room[1], "host_left", (WebSocketCloseStatus)4000);

        await host.AssertNothingPendingAsync();
        var other = await Server.Api.CreateRoomAsync();
        await host.JoinAsync(other.Id, other.Secret);
    }

    [Fact]
    public async Task Host_protocol_a_non_host_leaving_keeps_the_room_open()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3, "host");
        var (host, leaver, other) = (room[0], room[1], room[2]);

        await DepartAsync(leaver, "abort");

        await Expect.ClientLeftAsync(host, leaver.ClientId, "disconnected");
        await Expect.ClientLeftAsync(other, leaver.ClientId, "disconnected");
        await host.AssertNothingPendingAsync();
        await other.AssertNothingPendingAsync();
        Assert.Equal(HttpStatusCode.OK, await room.GetStatusAsync());
    }
}
