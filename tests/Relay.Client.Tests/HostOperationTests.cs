using Relay.Client.Tests.Infrastructure;

namespace Relay.Client.Tests;

/// <summary>The host's operations (kick, transfer host, close room) and the protocols' rules.</summary>
public sealed class HostOperationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly TestServer _server = fixture.Server;

    private static Action<RelayRealtimeOptions> WithReconnect => o => o.Reconnect = new RelayReconnectOptions { Enabled = true, InitialDelay = TimeSpan.Zero };

    [Fact]
    public async Task Host_kicks_a_client_which_closes_with_4001_and_does_not_reconnect()
    {
        var room = await _server.CreateRoomAsync();
        await using var host = await _server.ConnectAsync(room, "host");
        await using var bob = await _server.ConnectAsync(room, "bob", WithReconnect);

        await host.Client.KickAsync(bob.Id, "spamming");

        Assert.Equal("spamming", (await bob.NextAsync<KickedMessage>()).Reason);
        var end = await bob.ClosedAsync();
        Assert.Equal(RelayCloseReason.Kicked, end.Reason);
        Assert.Equal(RelayCloseCodes.Kicked, end.CloseStatus);
        Assert.Empty(bob.Reconnecting);
        var left = await host.NextAsync<ClientLeftMessage>();
        Assert.Equal((bob.Connected.ClientId, ClientLeftReasons.Kicked), (left.ClientId, left.Reason));
    }

    [Fact]
    public async Task Non_host_operations_are_refused_with_not_host()
    {
        var room = await _server.CreateRoomAsync();
        await using var host = await _server.ConnectAsync(room);
        await using var bob = await _server.ConnectAsync(room);

        await bob.Client.KickAsync(host.Id, messageRef: "k");
        await bob.Client.TransferHostAsync(bob.Id, messageRef: "t");
        await bob.Client.CloseRoomAsync(messageRef: "c");

        foreach (var expected in new[] { "k", "t", "c" })
        {
            var error = await bob.NextAsync<ErrorMessage>();
            Assert.Equal((RelayErrorCodes.NotHost, expected), (error.Code, error.Ref));
        }

        await host.Client.KickAsync(77, messageRef: "unknown");
        Assert.Equal(RelayErrorCodes.UnknownClient, (await host.NextAsync<ErrorMessage>()).Code);
    }

    [Fact]
    public async Task Transfer_host_tells_everyone_and_updates_IsHost()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room);
        await using var bob = await _server.ConnectAsync(room);

        await alice.Client.TransferHostAsync(bob.Id);

        Assert.Equal(bob.Id, (await alice.NextAsync<HostChangedMessage>()).HostId);
        Assert.Equal(bob.Id, (await bob.NextAsync<HostChangedMessage>()).HostId);
        Assert.True(bob.Client.IsHost);
        Assert.False(alice.Client.IsHost);
        Assert.Equal(bob.Id, alice.Client.HostId);
        Assert.True(alice.Client.Members.Single(m => m.ClientId == bob.Id).IsHost);
        Assert.False(alice.Client.Members.Single(m => m.ClientId == alice.Id).IsHost);
    }

    [Fact]
    public async Task Close_room_closes_everyone_with_4000_without_reconnecting()
    {
        var room = await _server.CreateRoomAsync();
        await using var host = await _server.ConnectAsync(room, configure: WithReconnect);
        await using var bob = await _server.ConnectAsync(room, configure: WithReconnect);

        await host.Client.CloseRoomAsync("game over");

        foreach (var probe in new[] { host, bob })
        {
            var closed = await probe.NextAsync<RoomClosedMessage>();
            Assert.Equal((RoomClosedReasons.ClosedByHost, "game over"), (closed.Reason, closed.Message));
            var end = await probe.ClosedAsync();
            Assert.Equal(RelayCloseReason.RoomClosed, end.Reason);
            Assert.Equal(RelayCloseCodes.RoomClosed, end.CloseStatus);
            Assert.Same(closed, end.RoomClosed);
            Assert.Empty(probe.Reconnecting);
        }
    }

    [Fact]
    public async Task Host_secret_makes_the_host_and_host_protocol_forbids_sends_between_non_hosts()
    {
        var room = await _server.CreateRoomAsync(new CreateRoomRequest { Protocol = RoomProtocols.Host, HostAssignment = HostAssignments.Secret });
        await using var bob = await _server.ConnectAsync(room, "bob");
        await using var carol = await _server.ConnectAsync(room, "carol");
        Assert.Null(bob.Client.HostId);
        await using var host = await _server.ConnectAsync(room, "host", asHost: true);
        Assert.True(host.Client.IsHost);
        Assert.Equal(host.Id, (await bob.NextAsync<HostChangedMessage>()).HostId);

        await bob.Client.SendAsync([carol.Id], Json.Parse("1"), messageRef: "no");
        var forbidden = await bob.NextAsync<ErrorMessage>();
        Assert.Equal((RelayErrorCodes.Forbidden, "no"), (forbidden.Code, forbidden.Ref));

        await bob.Client.BroadcastAsync(Json.Parse("\"to host\""));
        Assert.Equal(bob.Id, (await host.NextAsync<DataMessage>()).From);

        // The host leaving a host-protocol room closes it.
        await host.Client.CloseAsync();
        Assert.Equal(RoomClosedReasons.HostLeft, (await carol.NextAsync<RoomClosedMessage>()).Reason);
        Assert.Equal(RelayCloseReason.RoomClosed, (await carol.ClosedAsync()).Reason);
    }
}
