using System.Collections.Concurrent;
using System.Text;
using Relay.Client.Tests.Infrastructure;

namespace Relay.Client.Tests;

/// <summary>Joining, relaying, errors, ping, leave and close with <see cref="RelayRealtimeClient"/> against the real server.</summary>
public sealed class RealtimeClientTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly TestServer _server = fixture.Server;

    [Fact]
    public async Task Connect_joins_the_room_and_tracks_members_and_host()
    {
        var room = await _server.CreateRoomAsync(new CreateRoomRequest { Metadata = Json.Parse("""{"game":"chess"}""") });
        await using var alice = await _server.ConnectAsync(room, "alice");

        Assert.Equal(RelayConnectionState.Connected, alice.Client.State);
        Assert.Equal(room.Id, alice.Connected.RoomId);
        Assert.Equal(room.Id, alice.Client.RoomId);
        Assert.Equal(alice.Connected.ClientId, alice.Client.ClientId);
        Assert.True(alice.Connected.IsHost);
        Assert.True(alice.Client.IsHost);
        Assert.Equal(RoomProtocols.Mesh, alice.Connected.Protocol);
        Assert.Equal("chess", alice.Connected.Metadata.GetProperty("game").GetString());
        Assert.Equal([new RoomMember(alice.Id, "alice", true)], alice.Connected.Clients);

        await using var bob = await _server.ConnectAsync(room);
        var joined = await alice.NextAsync<ClientJoinedMessage>();
        Assert.Equal(bob.Id, joined.ClientId);
        Assert.Null(joined.Name);
        Assert.False(bob.Client.IsHost);
        Assert.Equal(alice.Id, bob.Client.HostId);
        Assert.Equal([alice.Id, bob.Id], alice.Client.Members.Select(m => m.ClientId));
        Assert.Equal(2, bob.Connected.Clients.Count);

        await bob.Client.CloseAsync();
        var left = await alice.NextAsync<ClientLeftMessage>();
        Assert.Equal(ClientLeftReasons.Disconnected, left.Reason);
        Assert.Equal([alice.Id], alice.Client.Members.Select(m => m.ClientId));
    }

    [Fact]
    public async Task ConnectAsync_completes_after_the_Connected_handlers_ran()
    {
        var room = await _server.CreateRoomAsync();
        await using var client = new RelayRealtimeClient(new RelayRealtimeOptions { ServerUri = _server.Address, RoomId = room.Id, Secret = room.Secret });
        ConnectedMessage? seen = null;
        client.Connected += (_, c) => seen = c;

        var connected = await client.ConnectAsync().WaitAsync(Probe.Timeout);

        Assert.Same(connected, seen);
    }

    [Fact]
    public async Task Connect_failures_carry_the_servers_error_code_and_close_the_client()
    {
        var room = await _server.CreateRoomAsync(new CreateRoomRequest { MaxClients = 1 });

        await using var wrongSecret = new RelayRealtimeClient(new RelayRealtimeOptions { ServerUri = _server.Address, RoomId = room.Id, Secret = "wrong-secret" });
        var invalid = await Assert.ThrowsAsync<RelayRealtimeException>(() => wrongSecret.ConnectAsync());
        Assert.Equal(RelayErrorCodes.InvalidSecret, invalid.ErrorCode);
        Assert.Equal(RelayConnectionState.Closed, wrongSecret.State);
        Assert.Equal(RelayCloseReason.ConnectFailed, (await wrongSecret.Completion.WaitAsync(Probe.Timeout)).Reason);
        await Assert.ThrowsAsync<InvalidOperationException>(() => wrongSecret.ConnectAsync());

        await using var noRoom = new RelayRealtimeClient(new RelayRealtimeOptions { ServerUri = _server.Address, RoomId = "no-such-room", Secret = "whatever-secret" });
        Assert.Equal(RelayErrorCodes.RoomNotFound, (await Assert.ThrowsAsync<RelayRealtimeException>(() => noRoom.ConnectAsync())).ErrorCode);

        await using var first = await _server.ConnectAsync(room);
        await using var full = new RelayRealtimeClient(new RelayRealtimeOptions { ServerUri = _server.Address, RoomId = room.Id, Secret = room.Secret });
        Assert.Equal(RelayErrorCodes.RoomFull, (await Assert.ThrowsAsync<RelayRealtimeException>(() => full.ConnectAsync())).ErrorCode);
    }

    [Fact]
    public async Task Connecting_to_a_port_without_a_server_fails_with_a_realtime_exception()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        await using var client = new RelayRealtimeClient(new RelayRealtimeOptions { ServerUri = new Uri($"http://127.0.0.1:{port}"), RoomId = "r", Secret = "secret-123" });
        var error = await Assert.ThrowsAsync<RelayRealtimeException>(() => client.ConnectAsync());
        Assert.Null(error.ErrorCode);
        Assert.Equal(RelayCloseReason.ConnectFailed, (await client.Completion.WaitAsync(Probe.Timeout)).Reason);
    }

    [Fact]
    public async Task Broadcast_relays_json_to_the_others_byte_for_byte()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room, "alice");
        await using var bob = await _server.ConnectAsync(room, "bob");
        await using var carol = await _server.ConnectAsync(room, "carol");

        var raw = """{"text" : "hi",   "n": 1.50e0}"""u8.ToArray();
        await alice.Client.BroadcastJsonAsync(raw);
        foreach (var other in new[] { bob, carol })
        {
            var message = await other.NextAsync<DataMessage>();
            Assert.Equal(alice.Id, message.From);
            Assert.False(message.IsFromServer);
            Assert.Equal(raw, message.RawData.ToArray());
            Assert.Equal("hi", message.Data.GetProperty("text").GetString());
        }

        await bob.Client.BroadcastAsync(Json.Parse("""[1,"two",null]"""));
        var fromBob = await carol.NextAsync<DataMessage>(m => m.From == bob.Id);
        Assert.Equal("""[1,"two",null]""", Json.Text(fromBob.RawData));

        await carol.Client.BroadcastAsync(new ChatLine("typed", 7), TestJsonContext.Default.ChatLine);
        var typed = await alice.NextAsync<DataMessage>(m => m.From == carol.Id);
        Assert.Equal(new ChatLine("typed", 7), typed.Deserialize(TestJsonContext.Default.ChatLine));
    }

    [Fact]
    public async Task Send_reaches_only_the_chosen_clients()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room, "alice");
        await using var bob = await _server.ConnectAsync(room, "bob");
        await using var carol = await _server.ConnectAsync(room, "carol");

        await alice.Client.SendAsync([carol.Id], Json.Parse("""{"secret":"for carol"}"""));
        await alice.Client.SendJsonAsync([bob.Id, carol.Id], "\"both\""u8.ToArray());
        await alice.Client.SendAsync([bob.Id], new ChatLine("just bob", 1), TestJsonContext.Default.ChatLine);

        var toCarol = await carol.NextAsync<DataMessage>();
        Assert.Equal("for carol", toCarol.Data.GetProperty("secret").GetString());
        Assert.Equal("both", (await carol.NextAsync<DataMessage>()).Data.GetString());
        Assert.Equal("both", (await bob.NextAsync<DataMessage>()).Data.GetString());
        Assert.Equal("just bob", (await bob.NextAsync<DataMessage>()).Deserialize(TestJsonContext.Default.ChatLine)!.Text);

        // carol got nothing more: a ping's pong is the next thing she receives.
        await carol.Client.PingAsync();
        Assert.IsType<PongMessage>(await carol.NextAsync<ServerMessage>());
    }

    [Fact]
    public async Task Binary_broadcast_and_send_carry_the_sender_and_payload()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room);
        await using var bob = await _server.ConnectAsync(room);
        await using var carol = await _server.ConnectAsync(room);

        await alice.Client.BroadcastBinaryAsync(new byte[] { 0x68, 0x69 });
        foreach (var other in new[] { bob, carol })
        {
            var binary = await other.NextAsync<BinaryMessage>();
            Assert.Equal(alice.Id, binary.From);
            Assert.Equal(new byte[] { 0x68, 0x69 }, binary.Payload.ToArray());
            Assert.Equal("binary", binary.Type);
        }

        var big = Enumerable.Range(0, 40_000).Select(i => (byte)i).ToArray();
        await bob.Client.SendBinaryAsync(carol.Id, big);
        var toCarol = await carol.NextAsync<BinaryMessage>();
        Assert.Equal(bob.Id, toCarol.From);
        Assert.Equal(big, toCarol.Payload.ToArray());

        await bob.Client.SendBinaryAsync(alice.Id, ReadOnlyMemory<byte>.Empty);
        var empty = await alice.NextAsync<BinaryMessage>();
        Assert.Equal(0, empty.Payload.Length);
    }

    [Fact]
    public async Task Server_errors_arrive_as_error_messages_with_the_ref_and_the_connection_stays_open()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room);
        var errors = new ConcurrentQueue<ErrorMessage>();
        alice.Client.ErrorReceived += (_, e) => errors.Enqueue(e);

        await alice.Client.SendAsync([99], Json.Parse("1"), messageRef: "m-17");
        var error = await alice.NextAsync<ErrorMessage>();
        Assert.Equal(RelayErrorCodes.UnknownClient, error.Code);
        Assert.Equal("m-17", error.Ref);
        Assert.False(string.IsNullOrEmpty(error.Message));

        await alice.Client.SendBinaryAsync(99, new byte[] { 1 });
        var binaryError = await alice.NextAsync<ErrorMessage>();
        Assert.Equal(RelayErrorCodes.UnknownClient, binaryError.Code);
        Assert.Null(binaryError.Ref);

        // ErrorReceived follows MessageReceived for the same message: wait for the event counted, then check that
        // each error was raised as ErrorReceived right after its MessageReceived, and reached the test's handler.
        var raised = await alice.EventsAsync(nameof(RelayRealtimeClient.ErrorReceived), 2);
        Assert.Equal([error, binaryError], raised.Select(e => e.Args));
        Assert.All(raised, e => Assert.Equal(
            (nameof(RelayRealtimeClient.MessageReceived), e.Args),
            (alice.Events[e.Index - 1].Name, alice.Events[e.Index - 1].Args)));
        Assert.Equal([error, binaryError], errors);
        Assert.Equal(RelayConnectionState.Connected, alice.Client.State);
        await alice.Client.PingAsync();
        Assert.Equal(2, alice.Events.Count(e => e.Name == nameof(RelayRealtimeClient.ErrorReceived)));
    }

    [Fact]
    public async Task Invalid_arguments_are_refused_locally()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room);

        await Assert.ThrowsAsync<ArgumentException>(() => alice.Client.BroadcastJsonAsync("{nope"u8.ToArray()));
        await Assert.ThrowsAsync<ArgumentException>(() => alice.Client.BroadcastAsync(default(System.Text.Json.JsonElement)));
        await Assert.ThrowsAsync<ArgumentException>(() => alice.Client.BroadcastAsync(Json.Parse("1"), messageRef: new string('r', 65)));
    }

    [Fact]
    public async Task Ping_measures_the_round_trip_and_raises_pong()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room);
        var pongs = 0;
        alice.Client.Pong += (_, _) => Interlocked.Increment(ref pongs);

        var rtt = await alice.Client.PingAsync();
        await alice.Client.PingAsync();

        Assert.True(rtt > TimeSpan.Zero);
        await alice.NextAsync<PongMessage>();
        await alice.NextAsync<PongMessage>();
        Assert.Equal(2, pongs);
    }

    [Fact]
    public async Task Concurrent_sends_from_many_threads_all_arrive()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room);
        await using var bob = await _server.ConnectAsync(room);
        const int Count = 100;

        await Task.WhenAll(Enumerable.Range(0, Count).Select(i => Task.Run(() => i % 2 == 0
            ? alice.Client.BroadcastJsonAsync(Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            : alice.Client.SendBinaryAsync(bob.Id, BitConverter.GetBytes(i)))));

        var seen = new HashSet<int>();
        for (var n = 0; n < Count; n++)
        {
            var message = await bob.NextAsync<ServerMessage>(m => m is DataMessage or BinaryMessage);
            seen.Add(message is DataMessage data ? data.Data.GetInt32() : BitConverter.ToInt32(((BinaryMessage)message).Payload.Span));
        }

        Assert.Equal(Enumerable.Range(0, Count), seen.Order());
    }

    [Fact]
    public async Task Leave_keeps_the_connection_and_join_gets_a_new_client_id()
    {
        var room = await _server.CreateRoomAsync();
        var other = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room);
        await using var bob = await _server.ConnectAsync(room);
        var firstId = bob.Id;

        await bob.Client.LeaveAsync();
        Assert.Equal(RelayConnectionState.Left, bob.Client.State);
        Assert.Null(bob.Client.ClientId);
        Assert.Equal(ClientLeftReasons.Left, (await alice.NextAsync<ClientLeftMessage>()).Reason);
        await bob.NextAsync<LeftMessage>();

        var error = await Assert.ThrowsAsync<RelayRealtimeException>(() => bob.Client.LeaveAsync());
        Assert.Equal(RelayErrorCodes.NotConnected, error.ErrorCode);

        var again = await bob.Client.JoinAsync(room.Id, room.Secret, "bob again");
        Assert.NotEqual(firstId, again.ClientId);
        Assert.Equal(again.ClientId, bob.Client.ClientId);
        Assert.Equal(RelayConnectionState.Connected, bob.Client.State);
        Assert.Equal("bob again", (await alice.NextAsync<ClientJoinedMessage>()).Name);

        await bob.Client.LeaveAsync();
        var elsewhere = await bob.Client.JoinAsync(other.Id, other.Secret);
        Assert.Equal(other.Id, elsewhere.RoomId);
        Assert.Equal(other.Id, bob.Client.RoomId);
        await Assert.ThrowsAsync<InvalidOperationException>(() => bob.Client.JoinAsync(room.Id, room.Secret));
    }

    [Fact]
    public async Task Close_is_clean_with_code_1000_and_later_sends_fail()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room);
        await using var bob = await _server.ConnectAsync(room, configure: o => o.Reconnect = new RelayReconnectOptions { Enabled = true });
        RelayClosedEventArgs? raised = null;
        bob.Client.Closed += (_, e) => raised = e;

        await bob.Client.CloseAsync();

        var end = await bob.ClosedAsync();
        Assert.Same(end, raised);
        Assert.Equal(RelayCloseReason.ClosedByClient, end.Reason);
        Assert.Equal(RelayCloseCodes.Normal, end.CloseStatus);
        Assert.Equal(RelayConnectionState.Closed, bob.Client.State);
        Assert.Empty(bob.Reconnecting);
        Assert.Equal(ClientLeftReasons.Disconnected, (await alice.NextAsync<ClientLeftMessage>()).Reason);
        await Assert.ThrowsAsync<RelayRealtimeException>(() => bob.Client.BroadcastAsync(Json.Parse("1")));
        await bob.Client.CloseAsync();
    }

    [Fact]
    public async Task The_message_stream_yields_every_message_in_order_and_ends_on_close()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room);
        await using var bob = await _server.ConnectAsync(room, configure: o => o.EnableMessageStream = true);

        await alice.Client.BroadcastAsync(Json.Parse("\"one\""));
        await alice.Client.BroadcastBinaryAsync(new byte[] { 2 });
        // The server handles alice's messages in order: once her ping is answered, both relays are queued for bob,
        // so the push (another connection, REST) comes after them.
        await alice.Client.PingAsync();
        await _server.Api.PushMessageAsync(room.Id, Json.Parse("3"));
        await bob.NextAsync<DataMessage>(m => m.IsFromServer);
        await bob.Client.CloseAsync();

        var types = new List<string>();
        await foreach (var message in bob.Client.ReadMessagesAsync().WithCancellation(new CancellationTokenSource(Probe.Timeout).Token))
        {
            types.Add(message.Type);
        }

        Assert.Equal(["connected", "message", "binary", "message"], types);
        await Assert.ThrowsAsync<InvalidOperationException>(() => alice.Client.ReadMessagesAsync().GetAsyncEnumerator().MoveNextAsync().AsTask());
    }

    [Fact]
    public async Task A_throwing_event_handler_is_reported_and_does_not_stop_the_client()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room);
        await using var bob = await _server.ConnectAsync(room);
        bob.Client.DataReceived += (_, _) => throw new InvalidOperationException("handler bug");

        await alice.Client.BroadcastAsync(Json.Parse("1"));
        await alice.Client.BroadcastAsync(Json.Parse("2"));

        Assert.Equal(1, (await bob.NextAsync<DataMessage>()).Data.GetInt32());
        Assert.Equal(2, (await bob.NextAsync<DataMessage>()).Data.GetInt32());

        // The failure is raised after DataReceived, which follows MessageReceived: wait for the failures counted.
        var failures = await bob.EventsAsync(nameof(RelayRealtimeClient.EventHandlerFailed), 2);
        Assert.All(failures, f => Assert.Equal("handler bug", Assert.IsType<InvalidOperationException>(f.Args).Message));
        Assert.Equal(
            [nameof(RelayRealtimeClient.DataReceived), nameof(RelayRealtimeClient.EventHandlerFailed), nameof(RelayRealtimeClient.DataReceived), nameof(RelayRealtimeClient.EventHandlerFailed)],
            bob.Order(nameof(RelayRealtimeClient.DataReceived), nameof(RelayRealtimeClient.EventHandlerFailed)));
        Assert.Equal(2, bob.HandlerFailures.Count);

        // The client keeps running: a ping still gets its pong.
        await bob.Client.PingAsync();
        Assert.Equal(RelayConnectionState.Connected, bob.Client.State);
    }
}
