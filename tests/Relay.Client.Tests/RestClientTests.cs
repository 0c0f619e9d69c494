using System.Net;
using Relay.Client.Tests.Infrastructure;

namespace Relay.Client.Tests;

/// <summary>Every REST operation of <see cref="RelayApiClient"/> against the real server.</summary>
public sealed class RestClientTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly TestServer _server = fixture.Server;

    private RelayApiClient Api => _server.Api;

    [Fact]
    public async Task CreateRoom_with_every_field_returns_the_room_and_its_secrets()
    {
        var id = "create-" + Guid.NewGuid().ToString("N")[..12];
        var room = await Api.CreateRoomAsync(new CreateRoomRequest
        {
            Id = id,
            Secret = "a-secret-of-my-own",
            Protocol = RoomProtocols.Host,
            HostAssignment = HostAssignments.Secret,
            MaxClients = 7,
            Metadata = Json.Parse("""{"map":"harbor","n":[1,2]}"""),
        });

        Assert.Equal(id, room.Id);
        Assert.Equal("a-secret-of-my-own", room.Secret);
        Assert.Equal(32, room.HostSecret.Length);
        Assert.Equal(RoomProtocols.Host, room.Protocol);
        Assert.Equal(HostAssignments.Secret, room.HostAssignment);
        Assert.Equal(7, room.MaxClients);
        Assert.False(room.Locked);
        Assert.Equal("harbor", room.Metadata.GetProperty("map").GetString());
        Assert.Null(room.HostId);
        Assert.Equal(0, room.ClientCount);
        Assert.Null(room.Clients);
        Assert.InRange(room.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task CreateRoom_without_a_request_uses_the_defaults()
    {
        var room = await Api.CreateRoomAsync();

        Assert.Equal(16, room.Id.Length);
        Assert.Equal(32, room.Secret.Length);
        Assert.Equal(RoomProtocols.Mesh, room.Protocol);
        Assert.Equal(HostAssignments.First, room.HostAssignment);
        Assert.Equal(16, room.MaxClients);
        Assert.Equal(System.Text.Json.JsonValueKind.Object, room.Metadata.ValueKind);
    }

    [Fact]
    public async Task GetRoom_shows_connected_clients()
    {
        var room = await Api.CreateRoomAsync(new CreateRoomRequest { Metadata = Json.Parse("""{"a":1}""") });
        await using var alice = await _server.ConnectAsync(room, "alice");

        var read = await Api.GetRoomAsync(room.Id);

        Assert.Equal(room.Id, read.Id);
        Assert.Equal(1, read.ClientCount);
        Assert.Equal(alice.Id, read.HostId);
        var client = Assert.Single(read.Clients!);
        Assert.Equal(alice.Id, client.ClientId);
        Assert.Equal("alice", client.Name);
        Assert.True(client.IsHost);
        Assert.Equal(1, read.Metadata.GetProperty("a").GetInt32());
    }

    [Fact]
    public async Task ListRooms_pages_in_creation_order()
    {
        var created = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            created.Add((await Api.CreateRoomAsync()).Id);
        }

        var first = await Api.ListRoomsAsync(limit: 1);
        Assert.Equal(1, first.Limit);
        Assert.Equal(0, first.Offset);
        Assert.Single(first.Items);
        Assert.True(first.Total >= 3);

        var all = new List<RelayRoom>();
        await foreach (var room in Api.ListAllRoomsAsync(pageSize: 2))
        {
            all.Add(room);
        }

        var ids = all.Select(r => r.Id).ToList();
        Assert.Equal(ids.Distinct().Count(), ids.Count);
        var positions = created.Select(id => ids.IndexOf(id)).ToList();
        Assert.DoesNotContain(-1, positions);
        Assert.Equal(positions.Order(), positions);
        Assert.All(all, r => Assert.Null(r.Clients));

        var page = await Api.ListRoomsAsync(offset: ids.IndexOf(created[1]), limit: 2);
        Assert.Equal(created[1], page.Items[0].Id);
        Assert.Equal(created[2], page.Items[1].Id);
    }

    [Fact]
    public async Task UpdateRoom_changes_lock_seats_and_metadata()
    {
        var room = await Api.CreateRoomAsync();

        var updated = await Api.UpdateRoomAsync(room.Id, new UpdateRoomRequest
        {
            Locked = true,
            MaxClients = 3,
            Metadata = Json.Parse("""{"stage":2}"""),
        });

        Assert.True(updated.Locked);
        Assert.Equal(3, updated.MaxClients);
        Assert.Equal(2, updated.Metadata.GetProperty("stage").GetInt32());
        Assert.NotNull(updated.Clients);

        var options = new RelayRealtimeOptions { ServerUri = _server.Address, RoomId = room.Id, Secret = room.Secret };
        await using var client = new RelayRealtimeClient(options);
        var refused = await Assert.ThrowsAsync<RelayRealtimeException>(() => client.ConnectAsync());
        Assert.Equal(RelayErrorCodes.RoomLocked, refused.ErrorCode);
    }

    [Fact]
    public async Task DeleteRoom_closes_it_for_its_clients()
    {
        var room = await Api.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room, "alice");

        await Api.DeleteRoomAsync(room.Id);

        var closed = await alice.NextAsync<RoomClosedMessage>();
        Assert.Equal(RoomClosedReasons.Deleted, closed.Reason);
        var end = await alice.ClosedAsync();
        Assert.Equal(RelayCloseReason.RoomClosed, end.Reason);
        Assert.Equal(RelayCloseCodes.RoomClosed, end.CloseStatus);
        var gone = await Assert.ThrowsAsync<RelayApiException>(() => Api.GetRoomAsync(room.Id));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task PushMessage_reaches_everyone_or_the_chosen_clients_from_the_server()
    {
        var room = await Api.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room, "alice");
        await using var bob = await _server.ConnectAsync(room, "bob");

        var everyone = await Api.PushMessageAsync(room.Id, Json.Parse("""{"notice":"round starts"}"""));
        Assert.Equal(2, everyone);
        foreach (var probe in new[] { alice, bob })
        {
            var message = await probe.NextAsync<DataMessage>();
            Assert.True(message.IsFromServer);
            Assert.Equal("round starts", message.Data.GetProperty("notice").GetString());
        }

        var raw = """{ "exact" :  [1, 2.50] }"""u8.ToArray();
        var one = await Api.PushMessageJsonAsync(room.Id, raw, to: [bob.Id, 99]);
        Assert.Equal(1, one);
        var toBob = await bob.NextAsync<DataMessage>();
        Assert.Equal(raw, toBob.RawData.ToArray());

        var typed = await Api.PushMessageAsync(room.Id, new ChatLine("hi", 3), TestJsonContext.Default.ChatLine, to: [alice.Id]);
        Assert.Equal(1, typed);
        var line = (await alice.NextAsync<DataMessage>()).Deserialize(TestJsonContext.Default.ChatLine);
        Assert.Equal(new ChatLine("hi", 3), line);

        // Three pushes: the room counts each once, whatever its recipients.
        Assert.Equal(3, (await Api.GetRoomAsync(room.Id)).MessagesRelayed);
        Assert.Equal(0, room.MessagesRelayed);
    }

    [Fact]
    public async Task KickClient_kicks_without_reconnecting_even_when_reconnect_is_on()
    {
        var room = await Api.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room, "alice");
        await using var bob = await _server.ConnectAsync(room, "bob", o => o.Reconnect = new RelayReconnectOptions { Enabled = true, InitialDelay = TimeSpan.Zero });

        await Api.KickClientAsync(room.Id, bob.Id);

        var kicked = await bob.NextAsync<KickedMessage>();
        Assert.Equal("kicked by the server", kicked.Reason);
        var end = await bob.ClosedAsync();
        Assert.Equal(RelayCloseReason.Kicked, end.Reason);
        Assert.Equal(RelayCloseCodes.Kicked, end.CloseStatus);
        Assert.Same(kicked, end.Kicked);
        Assert.Empty(bob.Reconnecting);
        Assert.Equal(RelayConnectionState.Closed, bob.Client.State);
        var left = await alice.NextAsync<ClientLeftMessage>();
        Assert.Equal(ClientLeftReasons.Kicked, left.Reason);
    }

    [Fact]
    public async Task GetSummary_counts_rooms_clients_and_relays()
    {
        var room = await Api.CreateRoomAsync(new CreateRoomRequest { Protocol = RoomProtocols.Host });
        await using var alice = await _server.ConnectAsync(room, "alice");
        await Api.PushMessageAsync(room.Id, Json.Parse("1"));

        var summary = await Api.GetSummaryAsync();

        Assert.True(summary.Rooms >= 1);
        Assert.True(summary.Clients >= 1);
        Assert.True(summary.RoomsByProtocol[RoomProtocols.Host] >= 1);
        Assert.True(summary.RoomsByProtocol.ContainsKey(RoomProtocols.Mesh));
        Assert.True(summary.MessagesRelayed >= 1);
        Assert.True(summary.BytesRelayed >= 1);
        Assert.True(summary.UptimeSeconds >= 0);
    }

    [Fact]
    public async Task A_server_address_with_a_trailing_websocket_path_or_ws_scheme_still_reaches_the_api()
    {
        using var api = new RelayApiClient(new Uri($"ws://{_server.Address.Authority}/v1/websocket"));
        var room = await api.CreateRoomAsync();
        Assert.Equal(room.Id, (await api.GetRoomAsync(room.Id)).Id);

        using var http = new HttpClient { BaseAddress = _server.Address };
        using var external = new RelayApiClient(http);
        Assert.Equal(room.Id, (await external.GetRoomAsync(room.Id)).Id);
    }
}
