using System.Net.WebSockets;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Lifecycle;

/// <summary>SIGTERM: room members get `room_closed` `shutdown` then close 1001; sockets outside a room get close 1001.</summary>
public sealed class GracefulShutdownTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    // Per node: when a whole cluster stops, nodes stop one after another, so a client may first see the host's
    // node go (host_changed, or room_closed host_left in a host room). Cluster stops are covered in Cluster/.
    [Trait("Scope", "node")]
    [Fact]
    public async Task Clients_in_rooms_get_room_closed_shutdown_and_close_1001()
    {
        await using var server = await RelayServer.StartAsync();
        await using var mesh = await RoomHarness.CreateAsync(server, clients: 2, "mesh");
        await using var host = await RoomHarness.CreateAsync(server, clients: 2, "host");

        var stopping = server.StopAsync();

        foreach (var client in mesh.Clients.Concat(host.Clients))
        {
            await Expect.RoomClosedAsync(client, "shutdown", WebSocketCloseStatus.EndpointUnavailable, Bound);
        }

        await stopping.WaitAsync(Bound);
    }

    [Fact]
    public async Task Socket_not_in_a_room_gets_close_1001()
    {
        await using var server = await RelayServer.StartAsync();
        await using var idle = await server.ConnectClientAsync();
        await idle.AssertNothingPendingAsync();

        var stopping = server.StopAsync();

        var (status, description) = await idle.WaitForCloseAsync(Bound);
        Assert.True(status == WebSocketCloseStatus.EndpointUnavailable, $"expected close 1001, got {(int?)status} {description}");
        await stopping.WaitAsync(Bound);
    }

    [Fact]
    public async Task Socket_that_left_its_room_gets_close_1001_without_room_closed()
    {
        await using var server = await RelayServer.StartAsync();
        var room = await server.Api.CreateRoomAsync();
        await using var client = await server.ConnectClientAsync();
        await client.JoinAsync(room.Id, room.Secret);
        await client.SendJsonAsync(new { type = "leave" });
        await client.ExpectAsync("left");

        var stopping = server.StopAsync();

        var (status, description) = await client.WaitForCloseAsync(Bound);
        Assert.True(status == WebSocketCloseStatus.EndpointUnavailable, $"expected close 1001, got {(int?)status} {description}");
        // The inbox is complete: a message would be returned here instead of the connection-closed failure.
        await Assert.ThrowsAnyAsync<Exception>(() => client.ReceiveAsync(TimeSpan.FromSeconds(1)));
        await stopping.WaitAsync(Bound);
    }
}
