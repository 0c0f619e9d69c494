using Relay.Client.Tests.Infrastructure;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.Client.Tests;

/// <summary>
/// Reconnection after an abnormal loss, through a TCP proxy that drops every connection at once while the server
/// and the room stay up.
/// </summary>
public sealed class ReconnectTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private readonly TestServer _server = fixture.Server;
    private TcpProxy _proxy = null!;

    public Task InitializeAsync()
    {
        _proxy = new TcpProxy(_server.Address);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    private static Action<RelayRealtimeOptions> Reconnect(int? maxAttempts = 10, bool resume = true) => o =>
    {
        o.Resume = resume;
        o.Reconnect = new RelayReconnectOptions
        {
            Enabled = true,
            MaxAttempts = maxAttempts,
            InitialDelay = TimeSpan.FromMilliseconds(20),
            MaxDelay = TimeSpan.FromMilliseconds(200),
        };
    };

    [Fact]
    public async Task A_severed_connection_reconnects_with_a_new_client_id_and_relays_again()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room, "alice");
        // Without resume (ResumeTests cover it): the reconnect joins afresh.
        await using var bob = await _server.ConnectAsync(room, "bob", Reconnect(resume: false), via: _proxy.Address);
        var oldId = bob.Id;

        _proxy.SeverAll();

        var reconnected = await bob.NextReconnectedAsync();
        var first = Assert.Single(bob.Reconnecting);
        Assert.Equal(1, first.Attempt);
        Assert.Equal(oldId, first.PreviousClientId);
        Assert.Null(first.CloseStatus);
        Assert.Equal(oldId, reconnected.PreviousClientId);
        Assert.Equal(1, reconnected.Attempts);
        Assert.NotEqual(oldId, reconnected.Connected.ClientId);
        Assert.Equal(reconnected.Connected.ClientId, bob.Client.ClientId);
        Assert.Equal(RelayConnectionState.Connected, bob.Client.State);
        Assert.Contains(bob.Client.Members, m => m.ClientId == alice.Id);

        // The others saw the old id leave and the new one join.
        Assert.Equal((oldId, ClientLeftReasons.Disconnected), await alice.NextAsync<ClientLeftMessage>().ContinueWith(t => (t.Result.ClientId, t.Result.Reason)));
        Assert.Equal(bob.Id, (await alice.NextAsync<ClientJoinedMessage>(j => j.ClientId != oldId)).ClientId);

        await bob.Client.BroadcastAsync(Json.Parse("\"back\""));
        var relayed = await alice.NextAsync<DataMessage>();
        Assert.Equal((bob.Id, "back"), (relayed.From, relayed.Data.GetString()));
        await alice.Client.SendAsync([bob.Id], Json.Parse("\"welcome\""));
        Assert.Equal("welcome", (await bob.NextAsync<DataMessage>()).Data.GetString());
    }

    [Fact]
    public async Task Attempts_that_fail_are_retried_with_backoff_until_the_server_is_reachable()
    {
        var room = await _server.CreateRoomAsync();
        await using var bob = await _server.ConnectAsync(room, "bob", Reconnect(), via: _proxy.Address);
        var thirdAttempt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.Client.Reconnecting += (_, e) =>
        {
            if (e.Attempt == 3)
            {
                _proxy.Refuse = false;
                thirdAttempt.TrySetResult();
            }
        };

        _proxy.Refuse = true;
        _proxy.SeverAll();

        await thirdAttempt.Task.WaitAsync(Probe.Timeout);
        var reconnected = await bob.NextReconnectedAsync();
        Assert.Equal(3, reconnected.Attempts);
        Assert.Equal([1, 2, 3], bob.Reconnecting.Select(r => r.Attempt));
        Assert.All(bob.Reconnecting.Skip(1), r => Assert.IsType<RelayRealtimeException>(r.Exception));
        await bob.Client.PingAsync();
    }

    [Fact]
    public async Task Reconnection_gives_up_after_max_attempts()
    {
        var room = await _server.CreateRoomAsync();
        await using var bob = await _server.ConnectAsync(room, "bob", Reconnect(maxAttempts: 2), via: _proxy.Address);

        _proxy.Refuse = true;
        _proxy.SeverAll();

        var end = await bob.ClosedAsync();
        Assert.Equal(RelayCloseReason.ReconnectFailed, end.Reason);
        Assert.IsType<RelayRealtimeException>(end.Exception);
        Assert.Equal([1, 2], bob.Reconnecting.Select(r => r.Attempt));
        Assert.Equal(RelayConnectionState.Closed, bob.Client.State);
    }

    [Fact]
    public async Task Reconnection_stops_when_the_room_is_gone()
    {
        var room = await _server.CreateRoomAsync();
        await using var bob = await _server.ConnectAsync(room, "bob", Reconnect(maxAttempts: null), via: _proxy.Address);
        bob.Client.Reconnecting += (_, e) =>
        {
            if (e.Attempt == 1)
            {
                // Deleted while bob is away: his next join gets room_not_found.
                _server.Api.DeleteRoomAsync(room.Id).GetAwaiter().GetResult();
            }
        };

        _proxy.SeverAll();

        var end = await bob.ClosedAsync();
        Assert.Equal(RelayCloseReason.ReconnectFailed, end.Reason);
        Assert.Equal(RelayErrorCodes.RoomNotFound, Assert.IsType<RelayRealtimeException>(end.Exception).ErrorCode);
        Assert.Single(bob.Reconnecting);
    }

    [Fact]
    public async Task Without_reconnect_a_lost_connection_closes_the_client()
    {
        var room = await _server.CreateRoomAsync();
        await using var bob = await _server.ConnectAsync(room, "bob", via: _proxy.Address);

        _proxy.SeverAll();

        var end = await bob.ClosedAsync();
        Assert.Equal(RelayCloseReason.ConnectionLost, end.Reason);
        Assert.Null(end.CloseStatus);
        Assert.Empty(bob.Reconnecting);
    }

    [Fact]
    public async Task Kick_and_room_deletion_through_the_proxy_do_not_reconnect()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room, "alice", Reconnect(), via: _proxy.Address);
        await using var bob = await _server.ConnectAsync(room, "bob", Reconnect(), via: _proxy.Address);

        await _server.Api.KickClientAsync(room.Id, bob.Id);
        Assert.Equal(RelayCloseReason.Kicked, (await bob.ClosedAsync()).Reason);

        await _server.Api.DeleteRoomAsync(room.Id);
        Assert.Equal(RelayCloseReason.RoomClosed, (await alice.ClosedAsync()).Reason);

        Assert.Empty(alice.Reconnecting);
        Assert.Empty(bob.Reconnecting);
        Assert.Equal(2, _proxy.Accepted);
    }

    [Fact]
    public async Task Close_during_reconnection_stops_it()
    {
        var room = await _server.CreateRoomAsync();
        await using var bob = await _server.ConnectAsync(room, "bob", o => o.Reconnect = new RelayReconnectOptions
        {
            Enabled = true,
            InitialDelay = TimeSpan.FromMinutes(1),
            MaxDelay = TimeSpan.FromMinutes(1),
        }, via: _proxy.Address);
        var reconnecting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.Client.Reconnecting += (_, _) => reconnecting.TrySetResult();

        _proxy.SeverAll();
        await reconnecting.Task.WaitAsync(Probe.Timeout);
        Assert.Equal(RelayConnectionState.Reconnecting, bob.Client.State);
        await bob.Client.CloseAsync().WaitAsync(Probe.Timeout);

        var end = await bob.ClosedAsync();
        Assert.Equal(RelayCloseReason.ClosedByClient, end.Reason);
        Assert.Equal(1, _proxy.Accepted);
    }
}
