using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Lifecycle;

/// <summary>`Relay:ConnectTimeoutSeconds`: a socket must `connect` in time, after the upgrade and again after `leave`.</summary>
public sealed class ConnectTimeoutTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    private static Task<RelayServer> StartAsync() =>
        RelayServer.StartAsync(("Relay:ConnectTimeoutSeconds", "1"), ("Relay:EmptyRoomTtlSeconds", "0"));

    [Fact]
    public async Task Socket_that_never_connects_is_closed_with_4002()
    {
        await using var server = await StartAsync();
        await using var idle = await server.ConnectClientAsync();

        var (status, description) = await idle.WaitForCloseAsync(Bound);

        Assert.True((int?)status == 4002, $"expected close 4002, got {(int?)status} {description}");
    }

    [Fact]
    public async Task Socket_that_connects_in_time_is_not_closed()
    {
        await using var server = await StartAsync();
        var room = await server.Api.CreateRoomAsync();
        await using var client = await server.ConnectClientAsync();
        await client.JoinAsync(room.Id, room.Secret);

        // A socket opened after the join times out only after the joined one's timer would have fired.
        await Lifecycle.WaitOneConnectTimeoutAsync(server, Bound);

        await client.AssertNothingPendingAsync();
        Assert.True(Lifecycle.IsOpen(client));
    }

    [Fact]
    public async Task Socket_that_leaves_and_stays_idle_is_closed_with_4002()
    {
        await using var server = await StartAsync();
        var room = await server.Api.CreateRoomAsync();
        await using var client = await server.ConnectClientAsync();
        await client.JoinAsync(room.Id, room.Secret);
        // Stay in the room past the first timeout, so only a restarted timer can close it.
        await Lifecycle.WaitOneConnectTimeoutAsync(server, Bound);
        await client.AssertNothingPendingAsync();

        await client.SendJsonAsync(new { type = "leave" });
        await client.ExpectAsync("left");

        var (status, description) = await client.WaitForCloseAsync(Bound);
        Assert.True((int?)status == 4002, $"expected close 4002 after leave, got {(int?)status} {description}");
    }

    [Fact]
    public async Task Socket_that_leaves_and_connects_again_in_time_is_not_closed()
    {
        await using var server = await StartAsync();
        var room = await server.Api.CreateRoomAsync();
        await using var client = await server.ConnectClientAsync();
        await client.JoinAsync(room.Id, room.Secret);
        await client.SendJsonAsync(new { type = "leave" });
        await client.ExpectAsync("left");
        await client.JoinAsync(room.Id, room.Secret);

        await Lifecycle.WaitOneConnectTimeoutAsync(server, Bound);

        await client.AssertNothingPendingAsync();
        Assert.True(Lifecycle.IsOpen(client));
    }
}
