using System.Net;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Lifecycle;

/// <summary>`Relay:EmptyRoomTtlSeconds`: empty rooms expire after the TTL; 0 keeps them; occupied rooms never expire.</summary>
public sealed class EmptyRoomTtlTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static async Task LeaveAsync(TestClient client)
    {
        await client.SendJsonAsync(new { type = "leave" });
        await client.ExpectAsync("left");
    }

    [Fact]
    public async Task Room_whose_last_client_left_is_deleted_after_the_ttl()
    {
        await using var server = await RelayServer.StartAsync(("Relay:EmptyRoomTtlSeconds", "1"));
        var room = await server.Api.CreateRoomAsync();
        await using var client = await server.ConnectClientAsync();
        await client.JoinAsync(room.Id, room.Secret);

        await LeaveAsync(client);

        await Lifecycle.WaitForRoomStatusAsync(server, room.Id, HttpStatusCode.NotFound, Deadline);
        await client.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Secret });
        await client.ExpectErrorAsync("room_not_found");
    }

    [Fact]
    public async Task Room_whose_last_client_disconnected_is_deleted_after_the_ttl()
    {
        await using var server = await RelayServer.StartAsync(("Relay:EmptyRoomTtlSeconds", "1"));
        var room = await server.Api.CreateRoomAsync();
        await using var client = await server.ConnectClientAsync();
        await client.JoinAsync(room.Id, room.Secret);

        client.Abort();

        await Lifecycle.WaitForRoomStatusAsync(server, room.Id, HttpStatusCode.NotFound, Deadline);
    }

    [Fact]
    public async Task Room_with_a_client_is_not_deleted_after_the_ttl()
    {
        await using var server = await RelayServer.StartAsync(("Relay:EmptyRoomTtlSeconds", "1"), ("Relay:ConnectTimeoutSeconds", "3"));
        var room = await server.Api.CreateRoomAsync();
        await using var client = await server.ConnectClientAsync();
        await client.JoinAsync(room.Id, room.Secret);

        // Three seconds: the TTL and at least one sweep (every second) have passed.
        await Lifecycle.WaitOneConnectTimeoutAsync(server, Deadline);

        Assert.Equal(HttpStatusCode.OK, await Lifecycle.RoomStatusAsync(server, room.Id));
        await client.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Room_stays_when_the_ttl_is_zero()
    {
        await using var server = await RelayServer.StartAsync(("Relay:EmptyRoomTtlSeconds", "0"), ("Relay:ConnectTimeoutSeconds", "3"));
        var room = await server.Api.CreateRoomAsync();
        await using var client = await server.ConnectClientAsync();
        await client.JoinAsync(room.Id, room.Secret);
        await LeaveAsync(client);

        // Three seconds empty: a 1-second TTL would have deleted it by now (see the test above).
        await Lifecycle.WaitOneConnectTimeoutAsync(server, Deadline);

        Assert.Equal(HttpStatusCode.OK, await Lifecycle.RoomStatusAsync(server, room.Id));
        await using var returning = await server.ConnectClientAsync();
        await returning.JoinAsync(room.Id, room.Secret);
    }
}
