using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Playwright;
using Relay.BrowserTests.Infrastructure;
using Relay.Client;

namespace Relay.BrowserTests;

/// <summary>The browser client /client/relay.js in real Chromium pages against the real server.</summary>
[Collection(BrowserCollection.Name)]
public sealed class RelayJsTests(BrowserFixture fixture)
{
    private static readonly object FastReconnect = new { reconnect = new { initialDelayMs = 50, maxDelayMs = 200 } };

    /// <summary>Reconnection that joins afresh (a new client id) instead of resuming the seat.</summary>
    private static readonly object FreshReconnect = new { reconnect = new { initialDelayMs = 50, maxDelayMs = 200 }, resume = false };

    [Fact]
    public Task Two_pages_join_relay_both_ways_see_presence_and_host_changes_and_the_host_kicks_one() => fixture.RunAsync(async session =>
    {
        var room = await fixture.Open.Api.CreateRoomAsync("""{"maxClients": 4}""");
        var (roomId, secret) = (room.Id, room.Secret);
        var alice = await RelayPage.OpenAsync(session, fixture.Open);
        var bob = await RelayPage.OpenAsync(session, fixture.Open);

        var a = await alice.ConnectAsync("a", roomId, secret, "alice", FastReconnect);
        Assert.Equal(1, a.GetProperty("clientId").GetInt32());
        Assert.True(a.GetProperty("isHost").GetBoolean());
        var b = await bob.ConnectAsync("b", roomId, secret, "bob", FastReconnect);
        Assert.Equal(2, b.GetProperty("clientId").GetInt32());
        Assert.False(b.GetProperty("isHost").GetBoolean());

        // Presence: alice sees bob arrive; both keep the member list.
        await alice.WaitForEventAsync("a", "client_joined", new { clientId = 2, name = "bob" });
        Assert.Equal(
            """[{"clientId":1,"name":"alice","isHost":true},{"clientId":2,"name":"bob","isHost":false}]""",
            (await alice.OnClientAsync("a", "c => c.clients")).GetRawText());
        Assert.Equal(
            """[{"clientId":1,"name":"alice","isHost":true},{"clientId":2,"name":"bob","isHost":false}]""",
            (await bob.OnClientAsync("b", "c => c.clients")).GetRawText());

        // Relay both ways: a broadcast and a targeted send.
        await alice.OnClientAsync("a", "c => c.broadcast({ text: 'hi bob', n: [1, 2.5, null] })");
        await bob.WaitForEventAsync("b", "message", new { from = 1, data = new { text = "hi bob", n = new double?[] { 1, 2.5, null } } });
        await bob.OnClientAsync("b", "c => c.send([1], 'hi alice')");
        await alice.WaitForEventAsync("a", "message", new { from = 2, data = "hi alice" });
        await bob.OnClientAsync("b", "c => c.send(1, { ref: 'x' }, { ref: 'r-1' })");
        await alice.WaitForEventAsync("a", "message", new { from = 2, data = new { @ref = "x" } });

        // Host changes, seen by both, in the order they happened: to bob, a refused kick, back to alice.
        var beforeTransfers = await alice.MarkAsync();
        await alice.OnClientAsync("a", "c => c.transferHost(2)");
        await alice.WaitForEventAsync("a", "host_changed", new { hostId = 2 }, beforeTransfers);
        await bob.WaitForEventAsync("b", "host_changed", new { hostId = 2 });
        Assert.True((await bob.OnClientAsync("b", "c => c.isHost")).GetBoolean());
        Assert.False((await alice.OnClientAsync("a", "c => c.isHost")).GetBoolean());

        // A host-only message from a non-host is refused with the server's error code, echoing the ref.
        // Bob hands the host back only once alice's kick has been refused: sent at once from two connections, the
        // transfer could be handled first and the kick then succeed.
        await alice.OnClientAsync("a", "c => c.kick(2)");
        await alice.WaitForEventAsync("a", "error", new { code = "not_host" }, beforeTransfers);
        await bob.OnClientAsync("b", "c => c.transferHost(1)");
        await alice.WaitForSequenceAsync(
            "a",
            beforeTransfers,
            ("host_changed", new { hostId = 2 }),
            ("error", new { code = "not_host" }),
            ("host_changed", new { hostId = 1 }));

        // The host kicks bob: bob gets `kicked`, then close 4001, and does not reconnect although reconnect is on.
        var beforeKick = await bob.MarkAsync();
        await alice.OnClientAsync("a", "c => c.kick(2, 'bye bob')");
        await bob.WaitForEventAsync("b", "kicked", new { reason = "bye bob" }, beforeKick);
        var closed = await bob.OnClientAsync("b", "c => c.closed");
        Assert.Equal(4001, closed.GetProperty("code").GetInt32());
        Assert.False(closed.GetProperty("willReconnect").GetBoolean());
        Assert.Equal("closed", (await bob.OnClientAsync("b", "c => c.state")).GetString());
        Assert.Equal(4001, (await bob.OnClientAsync("b", "c => c.closeCode")).GetInt32());
        await AssertClosedForGoodAsync(bob, "b", beforeKick, 4001, "kicked");

        await alice.WaitForEventAsync("a", "client_left", new { clientId = 2, reason = "kicked" }, beforeKick);
        Assert.Equal("""[{"clientId":1,"name":"alice","isHost":true}]""", (await alice.OnClientAsync("a", "c => c.clients")).GetRawText());
        var rtt = (await alice.OnClientAsync("a", "c => c.ping()")).GetDouble();
        Assert.True(rtt >= 0, $"a round trip is a duration: {rtt}");
        Assert.Equal(1, (await fixture.Open.Api.GetJsonAsync($"/v1/api/rooms/{roomId}")).GetProperty("clientCount").GetInt32());
    });

    [Fact]
    public Task Binary_messages_round_trip_in_the_binary_frame_format() => fixture.RunAsync(async session =>
    {
        var room = await fixture.Open.Api.CreateRoomAsync();
        var (roomId, secret) = (room.Id, room.Secret);
        var page = await RelayPage.OpenAsync(session, fixture.Open);
        await page.ConnectAsync("a", roomId, secret, "a");
        await page.ConnectAsync("b", roomId, secret, "b");
        await page.WaitForEventAsync("a", "client_joined", new { clientId = 2 });

        // Uint8Array broadcast, every byte value kept.
        await page.OnClientAsync("a", "c => c.broadcastBinary(new Uint8Array([0, 1, 2, 127, 128, 253, 254, 255]))");
        await page.WaitForEventAsync("b", "binary", new { from = 1, data = new[] { 0, 1, 2, 127, 128, 253, 254, 255 } });

        // ArrayBuffer to one client, and a view with an offset into a larger buffer.
        await page.OnClientAsync("b", "c => c.sendBinary(1, new Uint8Array([7, 8, 9]).buffer)");
        await page.WaitForEventAsync("a", "binary", new { from = 2, data = new[] { 7, 8, 9 } });
        await page.OnClientAsync("b", "c => c.sendBinary(1, new Uint8Array([99, 99, 4, 5, 6, 99]).subarray(2, 5))");
        await page.WaitForEventAsync("a", "binary", new { from = 2, data = new[] { 4, 5, 6 } });

        // A larger payload, compared byte for byte in the page.
        await page.OnClientAsync("a", "c => c.broadcastBinary(Uint8Array.from({ length: 40000 }, (_, i) => (i * 7) % 256))");
        await page.Page.WaitForFunctionAsync(
            "() => t.events.some(e => e.key === 'b' && e.type === 'binary' && e.detail.data.length === 40000 && e.detail.data.every((v, i) => v === (i * 7) % 256))");

        // Binary errors come back as text errors; a target that is not in the room is unknown_client.
        await page.OnClientAsync("a", "c => c.sendBinary(9, new Uint8Array([1]))");
        await page.WaitForEventAsync("a", "error", new { code = "unknown_client" });

        // Bad arguments are refused locally, before anything is sent: the ping sent after the refusal is answered
        // with nothing before its pong (the server answers a connection's messages in order).
        var beforeRefusal = await page.MarkAsync();
        var refused = await page.OnClientAsync("a", "c => { try { c.broadcastBinary('text'); return 'sent'; } catch (e) { return e.name; } }");
        Assert.Equal("TypeError", refused.GetString());
        await page.OnClientAsync("a", "c => c.ping()");
        Assert.Equal(["pong"], await page.TypesAsync("a", beforeRefusal));
        Assert.Equal(1, await page.CountAsync("a", "error"));
    });

    [Fact]
    public Task Rest_operations_work_and_problem_details_become_RelayApiError() => fixture.RunAsync(async session =>
    {
        var page = await RelayPage.OpenAsync(session, fixture.Keyed);

        // Without the key: 401 problem details as a RelayApiError.
        var unauthorized = await page.EvaluateJsonAsync("""
            async () => {
              try { await new t.relay.RelayApi().getSummary(); return null; }
              catch (e) { return { isApiError: e instanceof t.relay.RelayApiError, isError: e instanceof Error, name: e.name,
                                   status: e.status, title: e.title, detail: e.detail, message: e.message }; }
            }
            """);
        Assert.True(unauthorized.GetProperty("isApiError").GetBoolean());
        Assert.True(unauthorized.GetProperty("isError").GetBoolean());
        Assert.Equal("RelayApiError", unauthorized.GetProperty("name").GetString());
        Assert.Equal(401, unauthorized.GetProperty("status").GetInt32());
        Assert.Equal("Unauthorized", unauthorized.GetProperty("title").GetString());
        Assert.Contains("API keys", unauthorized.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("401 Unauthorized", unauthorized.GetProperty("message").GetString(), StringComparison.Ordinal);

        var result = await page.EvaluateJsonAsync("""
            async (apiKey) => {
              const api = new t.relay.RelayApi({ apiKey });
              const fail = async (call) => {
                try { await call(); return 'no error'; }
                catch (e) { return e instanceof t.relay.RelayApiError
                  ? { status: e.status, title: e.title, detail: e.detail ?? null, errors: e.errors ?? null, traceId: typeof e.traceId }
                  : `${e.name}: ${e.message}`; }
              };
              const id = 'rest-' + Math.random().toString(36).slice(2, 10);
              const created = await api.createRoom({ id, maxClients: 3, metadata: { map: 'harbor' } });
              const client = t.create('c');
              await client.connect({ roomId: id, secret: created.secret, name: 'c' });
              const pushed = await api.pushMessage(id, { notice: 'round starts' });
              const pushedToNobody = await api.pushMessage(id, 1, { to: [42] });
              const got = await api.getRoom(id);
              const list = await api.listRooms({ offset: 0, limit: 500 });
              const updated = await api.updateRoom(id, { locked: true, metadata: { map: 'docks' } });
              const summary = await api.getSummary();
              const kicked = await api.kickClient(id, 1);
              const closed = await client.closed;
              const deleted = await api.deleteRoom(id);
              return {
                created: { id: created.id, hasSecret: typeof created.secret === 'string' && created.secret.length > 0,
                           hasHostSecret: typeof created.hostSecret === 'string', maxClients: created.maxClients, metadata: created.metadata },
                pushed, pushedToNobody,
                got: { clientCount: got.clientCount, clients: got.clients.map(c => c.name), hasSecret: 'secret' in got },
                listed: list.items.some(r => r.id === id) && list.total >= 1 && list.limit === 500,
                updated: { locked: updated.locked, metadata: updated.metadata },
                summary: summary.rooms >= 1 && typeof summary.roomsByProtocol.mesh === 'number',
                kicked: kicked === undefined, closedCode: closed.code, deleted: deleted === undefined,
                conflict: await fail(() => api.createRoom({ id: 'dup-' + id }).then(() => api.createRoom({ id: 'dup-' + id }))),
                invalid: await fail(() => api.createRoom({ maxClients: 0, secret: 'short' })),
                notFound: await fail(() => api.getRoom(id)),
                badLimit: await fail(() => api.listRooms({ limit: 0 })),
                missingClient: await fail(() => api.kickClient('dup-' + id, 5)),
              };
            }
            """, BrowserFixture.ApiKey);

        var created = result.GetProperty("created");
        Assert.True(created.GetProperty("hasSecret").GetBoolean());
        Assert.True(created.GetProperty("hasHostSecret").GetBoolean());
        Assert.Equal(3, created.GetProperty("maxClients").GetInt32());
        Assert.Equal("""{"map":"harbor"}""", created.GetProperty("metadata").GetRawText());
        Assert.Equal(1, result.GetProperty("pushed").GetProperty("recipients").GetInt32());
        Assert.Equal(0, result.GetProperty("pushedToNobody").GetProperty("recipients").GetInt32());
        Assert.Equal(1, result.GetProperty("got").GetProperty("clientCount").GetInt32());
        Assert.Equal("""["c"]""", result.GetProperty("got").GetProperty("clients").GetRawText());
        Assert.False(result.GetProperty("got").GetProperty("hasSecret").GetBoolean());
        Assert.True(result.GetProperty("listed").GetBoolean());
        Assert.True(result.GetProperty("updated").GetProperty("locked").GetBoolean());
        Assert.Equal("""{"map":"docks"}""", result.GetProperty("updated").GetProperty("metadata").GetRawText());
        Assert.True(result.GetProperty("summary").GetBoolean());
        Assert.True(result.GetProperty("kicked").GetBoolean());
        Assert.Equal(4001, result.GetProperty("closedCode").GetInt32());
        Assert.True(result.GetProperty("deleted").GetBoolean());
        await page.WaitForEventAsync("c", "message", new { from = 0, data = new { notice = "round starts" } });
        await page.WaitForEventAsync("c", "kicked", new { reason = "kicked by the server" });

        var conflict = result.GetProperty("conflict");
        Assert.Equal(409, conflict.GetProperty("status").GetInt32());
        Assert.Equal("string", conflict.GetProperty("traceId").GetString());

        var invalid = result.GetProperty("invalid");
        Assert.Equal(400, invalid.GetProperty("status").GetInt32());
        var errors = invalid.GetProperty("errors");
        Assert.True(errors.TryGetProperty("maxClients", out var maxClientsErrors), errors.GetRawText());
        Assert.Equal(JsonValueKind.Array, maxClientsErrors.ValueKind);
        Assert.True(errors.TryGetProperty("secret", out _), errors.GetRawText());

        var notFound = result.GetProperty("notFound");
        Assert.Equal(404, notFound.GetProperty("status").GetInt32());
        Assert.Equal("Not found", notFound.GetProperty("title").GetString());
        Assert.Contains("rest-", notFound.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var badLimit = result.GetProperty("badLimit");
        Assert.Equal(400, badLimit.GetProperty("status").GetInt32());
        Assert.Equal(JsonValueKind.Object, badLimit.GetProperty("errors").ValueKind);
        Assert.Equal(404, result.GetProperty("missingClient").GetProperty("status").GetInt32());
    });

    [Fact]
    public Task Reconnects_after_an_abnormal_close_but_never_after_a_deliberate_close_an_oversized_message_or_a_closed_room() => fixture.RunAsync(async session =>
    {
        var room = await fixture.Open.Api.CreateRoomAsync();
        var (roomId, secret) = (room.Id, room.Secret);

        // This page's WebSockets go through a Playwright proxy to the real server, so that the test can drop one.
        // Each socket the page opens reaches the route handler before it connects: waiting for the next route waits
        // for the socket the client opened, and a socket that was not opened has no route.
        var proxied = await RelayPage.OpenAsync(session, fixture.Open);
        var routes = Channel.CreateUnbounded<IWebSocketRoute>();
        await proxied.Page.RouteWebSocketAsync(url => url.EndsWith("/v1/websocket", StringComparison.Ordinal), route =>
        {
            routes.Writer.TryWrite(route);
            route.ConnectToServer();
        });
        Assert.Equal(1, (await proxied.ConnectAsync("a", roomId, secret, "a", FreshReconnect)).GetProperty("clientId").GetInt32());
        var first = await NextRouteAsync(routes);

        // An abnormal close (1011): the client announces the reconnection, waits its delay, opens a new socket and
        // joins again with a new client id, in that order.
        var beforeDrop = await proxied.MarkAsync();
        await first.CloseAsync(new WebSocketRouteCloseOptions { Code = 1011, Reason = "dropped by the test" });
        var steps = await proxied.WaitForSequenceAsync(
            "a",
            beforeDrop,
            ("close", new { code = 1011, willReconnect = true }),
            ("reconnecting", new { attempt = 1 }),
            ("connected", new { clientId = 2 }),
            ("reconnected", new { previousClientId = 1, clientId = 2, attempts = 1 }));
        Assert.Equal(1, steps[1].GetProperty("attempt").GetInt32());
        await NextRouteAsync(routes);
        Assert.Single(await proxied.TypesAsync("a", beforeDrop), t => t == "reconnecting");
        Assert.Equal("connected", (await proxied.OnClientAsync("a", "c => c.state")).GetString());
        Assert.Equal(2, (await proxied.OnClientAsync("a", "c => c.clientId")).GetInt32());

        // leave keeps the connection open and turns reconnection off; connect joins again on the same socket (a
        // new socket would have reached the route handler before the join could complete).
        await proxied.OnClientAsync("a", "c => c.leave()");
        Assert.Equal("left", (await proxied.OnClientAsync("a", "c => c.state")).GetString());
        Assert.Equal(JsonValueKind.Null, (await proxied.OnClientAsync("a", "c => c.roomId")).ValueKind);
        var rejoined = await proxied.OnClientAsync("a", "(c, join) => c.connect(join)", new { roomId, secret, name = "a again" });
        Assert.Equal(3, rejoined.GetProperty("clientId").GetInt32());
        Assert.False(routes.Reader.TryRead(out _), "connect after leave opened a new socket");

        // A deliberate close: close 1000, closed for good, no reconnection attempt; a closed client is not reused.
        var beforeClose = await proxied.MarkAsync();
        var closed = await proxied.OnClientAsync("a", "c => c.close(1000, 'done')");
        Assert.Equal(1000, closed.GetProperty("code").GetInt32());
        Assert.False(closed.GetProperty("willReconnect").GetBoolean());
        Assert.Equal("closed", (await proxied.OnClientAsync("a", "c => c.state")).GetString());
        var reuse = await proxied.OnClientAsync("a", "(c, join) => c.connect(join).then(() => 'joined', e => e.code)", new { roomId, secret });
        Assert.Equal("client_closed", reuse.GetString());
        await AssertClosedForGoodAsync(proxied, "a", beforeClose, 1000);
        Assert.False(routes.Reader.TryRead(out _), "a closed client opened a socket");

        // Directly connected from here on. A message over Relay:MaxMessageBytes (64 KiB) is closed with 1009: the
        // application's fault, so no reconnection.
        var page = await RelayPage.OpenAsync(session, fixture.Open);
        await page.ConnectAsync("big", roomId, secret, "big", FastReconnect);
        var beforeTooBig = await page.MarkAsync();
        await page.OnClientAsync("big", "c => c.broadcast('x'.repeat(70000))");
        var tooBig = await page.OnClientAsync("big", "c => c.closed");
        Assert.Equal(1009, tooBig.GetProperty("code").GetInt32());
        Assert.False(tooBig.GetProperty("willReconnect").GetBoolean());
        await AssertClosedForGoodAsync(page, "big", beforeTooBig, 1009);

        // The room is deleted: room_closed, close 4000, no reconnection.
        await page.ConnectAsync("b", roomId, secret, "b", FastReconnect);
        var beforeDelete = await page.MarkAsync();
        using (var response = await fixture.Open.Http.DeleteAsync($"/v1/api/rooms/{roomId}"))
        {
            response.EnsureSuccessStatusCode();
        }

        await page.WaitForEventAsync("b", "room_closed", new { reason = "deleted" }, beforeDelete);
        var roomClosed = await page.OnClientAsync("b", "c => c.closed");
        Assert.Equal(4000, roomClosed.GetProperty("code").GetInt32());
        Assert.False(roomClosed.GetProperty("willReconnect").GetBoolean());
        await AssertClosedForGoodAsync(page, "b", beforeDelete, 4000, "room_closed");

        // A failed join rejects with the server's error code.
        var refused = await page.EvaluateJsonAsync("""
            async (roomId) => {
              const client = new t.relay.RelayClient();
              try { await client.connect({ roomId, secret: 'wrong-secret' }); return null; }
              catch (e) { return { name: e.name, code: e.code, isRealtimeError: e instanceof t.relay.RelayRealtimeError }; }
            }
            """, roomId);
        Assert.Equal("RelayRealtimeError", refused.GetProperty("name").GetString());
        Assert.Equal("room_not_found", refused.GetProperty("code").GetString());
        Assert.True(refused.GetProperty("isRealtimeError").GetBoolean());
    });

    [Fact]
    public Task A_page_joins_with_a_client_token_relays_with_its_user_id_shown_to_the_others_and_reconnects_with_the_token() => fixture.RunAsync(async session =>
    {
        var room = await fixture.Open.Api.CreateRoomAsync();
        var token = RelayTokens.Create(BrowserFixture.TokenSigningKey, room.Id, userId: "user-7", name: "Bob");
        var alice = await RelayPage.OpenAsync(session, fixture.Open);
        await alice.ConnectAsync("a", room.Id, room.Secret, "alice");

        // Bob's page knows only the token. Its WebSockets go through a Playwright proxy that records what the page
        // sends (and forwards it), so that the test can read its connect messages and drop the connection.
        var bob = await RelayPage.OpenAsync(session, fixture.Open);
        var routes = Channel.CreateUnbounded<IWebSocketRoute>();
        var sent = new ConcurrentQueue<string>();
        await bob.Page.RouteWebSocketAsync(url => url.EndsWith("/v1/websocket", StringComparison.Ordinal), route =>
        {
            var server = route.ConnectToServer();
            route.OnMessage(frame =>
            {
                if (frame.Text is { } text)
                {
                    sent.Enqueue(text);
                    server.Send(text);
                }
                else
                {
                    server.Send(frame.Binary ?? []);
                }
            });
            routes.Writer.TryWrite(route);
        });
        var b = await bob.JoinAsync("b", new { token, name = "not-this" }, FreshReconnect);
        Assert.Equal(2, b.GetProperty("clientId").GetInt32());
        Assert.False(b.GetProperty("isHost").GetBoolean());
        Assert.Equal(room.Id, (await bob.OnClientAsync("b", "c => c.roomId")).GetString());
        const string Members = """[{"clientId":1,"name":"alice","isHost":true},{"clientId":2,"name":"Bob","userId":"user-7","isHost":false}]""";
        Assert.Equal(Members, (await bob.OnClientAsync("b", "c => c.clients")).GetRawText());

        // The others see the token's name and user id, and messages flow both ways.
        await alice.WaitForEventAsync("a", "client_joined", new { clientId = 2, name = "Bob", userId = "user-7" });
        Assert.Equal(Members, (await alice.OnClientAsync("a", "c => c.clients")).GetRawText());
        await bob.OnClientAsync("b", "c => c.broadcast({ text: 'joined with a token' })");
        await alice.WaitForEventAsync("a", "message", new { from = 2, data = new { text = "joined with a token" } });
        await alice.OnClientAsync("a", "c => c.send(2, 'hi Bob')");
        await bob.WaitForEventAsync("b", "message", new { from = 1, data = "hi Bob" });

        // A dropped connection: the reconnection joins with the same token, so the new seat has the same name and user id.
        var first = await NextRouteAsync(routes);
        var beforeDrop = await bob.MarkAsync();
        await first.CloseAsync(new WebSocketRouteCloseOptions { Code = 1011, Reason = "dropped by the test" });
        await bob.WaitForSequenceAsync(
            "b",
            beforeDrop,
            ("close", new { code = 1011, willReconnect = true }),
            ("connected", new { clientId = 3 }),
            ("reconnected", new { previousClientId = 2, clientId = 3 }));
        await alice.WaitForEventAsync("a", "client_joined", new { clientId = 3, name = "Bob", userId = "user-7" });
        await NextRouteAsync(routes);
        var read = await fixture.Open.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}");
        Assert.Equal("user-7", read.GetProperty("clients").EnumerateArray().Single(c => c.GetProperty("clientId").GetInt32() == 3).GetProperty("userId").GetString());

        // Both connects carried the token and the page's name, and neither a room id nor a secret.
        var connects = sent.Select(text => JsonDocument.Parse(text).RootElement).Where(m => m.GetProperty("type").GetString() == "connect").ToList();
        Assert.Equal(2, connects.Count);
        Assert.All(connects, m =>
        {
            Assert.Equal(token, m.GetProperty("token").GetString());
            Assert.Equal("not-this", m.GetProperty("name").GetString());
            Assert.False(m.TryGetProperty("roomId", out _), m.GetRawText());
            Assert.False(m.TryGetProperty("secret", out _), m.GetRawText());
        });

        // A token the server refuses rejects with invalid_token; a token with a secret is refused before anything is sent.
        var refused = await alice.EvaluateJsonAsync("""
            async ([roomId, secret, token, forged]) => {
              const code = (promise) => promise.then(() => 'joined', (e) => `${e.name} ${e.code ?? ''}`.trim());
              return {
                forged: await code(new t.relay.RelayClient().connect({ token: forged })),
                both: await code(new t.relay.RelayClient().connect({ roomId, secret, token })),
                empty: await code(new t.relay.RelayClient().connect({ token: '' })),
              };
            }
            """, new[] { room.Id, room.Secret, token, RelayTokens.Create("a-key-this-server-does-not-have-0123456789", room.Id) });
        Assert.Equal("RelayRealtimeError invalid_token", refused.GetProperty("forged").GetString());
        Assert.Equal("TypeError", refused.GetProperty("both").GetString());
        Assert.Equal("TypeError", refused.GetProperty("empty").GetString());
    });

    /// <summary>
    /// Reconnection that waits long enough (no jitter) for the other page to act on `client_away` before the return:
    /// its handlers run in that page as the event arrives, so nothing here depends on a round trip from the test.
    /// </summary>
    private static readonly object SlowResume = new { reconnect = new { initialDelayMs = 2000, maxDelayMs = 2000, jitter = 0 }, droppable = true };

    [Fact]
    public Task A_page_that_drops_resumes_its_seat_and_gets_every_message_once_in_order_while_the_other_sees_it_away_then_back() => fixture.RunAsync(async session =>
    {
        var (room, alice, bob) = await AliceAndDroppableBobAsync(session);
        Assert.True((await bob.OnClientAsync("b", "c => c.resume && c.resumable")).GetBoolean());

        // Alice keeps broadcasting numbered messages: some before the drop, a burst (and a binary relay) as soon as she
        // sees bob away, which bob can only get replayed, more as he comes back, then she stops.
        await alice.EvaluateJsonAsync("""
            () => {
              const a = t.clients.a;
              t.sent = [];
              const send = () => { const n = t.sent.length + 1; a.broadcast({ n }); t.sent.push(n); };
              for (let i = 0; i < 5; i++) send();
              t.ticker = setInterval(send, 10);
              a.on('client_away', () => {
                t.awayView = a.clients;
                for (let i = 0; i < 10; i++) send();
                a.broadcastBinary(new Uint8Array([7, 0, 255]));
              });
              a.on('client_back', () => {
                for (let i = 0; i < 10; i++) send();
                setTimeout(() => { clearInterval(t.ticker); send(); t.done = t.sent.length; }, 50);
              });
              return true;
            }
            """);
        await bob.WaitForEventAsync("b", "message", new { from = 1, data = new { n = 5 } });
        var beforeDrop = await bob.MarkAsync();
        var aliceBeforeDrop = await alice.MarkAsync();
        await bob.OnClientAsync("b", "c => c.drop()");

        var steps = await bob.WaitForSequenceAsync(
            "b",
            beforeDrop,
            ("close", new { code = 1006, willReconnect = true }),
            ("reconnecting", new { attempt = 1 }),
            ("resumed", new { clientId = 2 }),
            ("reconnected", new { previousClientId = 2, clientId = 2, resumed = true }));
        Assert.True(steps[2].GetProperty("missed").GetInt32() >= 11, steps[2].GetRawText());
        Assert.Equal("string", steps[2].GetProperty("resumeToken").GetString());
        var away = await alice.WaitForSequenceAsync("a", aliceBeforeDrop, ("client_away", new { clientId = 2 }), ("client_back", new { clientId = 2 }));
        Assert.True(away[1].GetProperty("seq").GetInt64() > away[0].GetProperty("seq").GetInt64());
        Assert.Contains("""{"clientId":2,"name":"bob","isHost":false,"away":true}""", (await alice.EvaluateJsonAsync("() => t.awayView")).GetRawText(), StringComparison.Ordinal);

        // Every message exactly once, in order, with the same client id; the binary relay once, header stripped.
        await alice.Page.WaitForFunctionAsync("() => t.done !== undefined");
        var total = (await alice.EvaluateJsonAsync("() => t.done")).GetInt32();
        await bob.WaitForEventAsync("b", "message", new { from = 1, data = new { n = total } });
        var got = await bob.EvaluateJsonAsync("() => t.events.filter(e => e.key === 'b' && e.type === 'message').map(e => e.detail.data.n)");
        Assert.Equal(Enumerable.Range(1, total), got.EnumerateArray().Select(n => n.GetInt32()));
        var seqs = await bob.EvaluateJsonAsync("() => t.events.filter(e => e.key === 'b' && e.type === 'message').map(e => e.detail.seq)");
        var ordered = seqs.EnumerateArray().Select(s => s.GetInt64()).ToList();
        Assert.Equal(ordered.Order().Distinct(), ordered);
        var binary = await bob.WaitForEventAsync("b", "binary", new { from = 1, data = new[] { 7, 0, 255 } });
        Assert.True(binary.GetProperty("seq").GetInt64() > 0);
        Assert.Equal(1, await bob.CountAsync("b", "binary"));
        Assert.Equal(2, (await bob.OnClientAsync("b", "c => c.clientId")).GetInt32());
        Assert.Equal(ordered.Max(), (await bob.OnClientAsync("b", "c => c.lastSeq")).GetInt64());
        var types = await bob.TypesAsync("b", beforeDrop);
        Assert.DoesNotContain("connected", types);
        Assert.DoesNotContain("resumefailed", types);
        Assert.Equal(
            """[{"clientId":1,"name":"alice","isHost":true},{"clientId":2,"name":"bob","isHost":false}]""",
            (await alice.OnClientAsync("a", "c => c.clients")).GetRawText());
        Assert.Equal(2, (await fixture.Open.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}")).GetProperty("clientCount").GetInt32());
    });

    [Fact]
    public Task A_resume_refused_because_the_seat_was_kicked_while_away_falls_back_to_a_fresh_connect_and_says_why() => fixture.RunAsync(async session =>
    {
        var (_, alice, bob) = await AliceAndDroppableBobAsync(session);

        // The host kicks bob's seat as soon as it is away: bob's return cannot be resumed.
        await alice.EvaluateJsonAsync("() => { t.clients.a.on('client_away', ({ clientId }) => t.clients.a.kick(clientId, 'gone')); return true; }");
        await alice.OnClientAsync("a", "c => c.broadcast({ n: 1 })");
        await bob.WaitForEventAsync("b", "message", new { from = 1, data = new { n = 1 } });
        var lastSeq = (await bob.OnClientAsync("b", "c => c.lastSeq")).GetInt64();
        var beforeDrop = await bob.MarkAsync();
        await bob.OnClientAsync("b", "c => c.drop()");
        await alice.WaitForEventAsync("a", "client_left", new { clientId = 2, reason = "kicked" });

        var steps = await bob.WaitForSequenceAsync(
            "b",
            beforeDrop,
            ("close", new { code = 1006, willReconnect = true }),
            ("error", new { code = "resume_failed" }),
            ("resumefailed", new { code = "resume_failed", previousClientId = 2, lastSeq }),
            ("connected", new { clientId = 3 }),
            ("reconnected", new { previousClientId = 2, clientId = 3, resumed = false }));
        Assert.False(string.IsNullOrWhiteSpace(steps[2].GetProperty("reason").GetString()));
        Assert.DoesNotContain("resumed", await bob.TypesAsync("b", beforeDrop));

        // The fresh seat is resumable again, and relays work both ways.
        Assert.True((await bob.OnClientAsync("b", "c => c.resumable")).GetBoolean());
        await alice.WaitForEventAsync("a", "client_joined", new { clientId = 3, name = "bob" });
        await alice.OnClientAsync("a", "c => c.broadcast({ n: 2 })");
        await bob.WaitForEventAsync("b", "message", new { from = 1, data = new { n = 2 } });
        Assert.Equal(1, await bob.CountAsync("b", "resumefailed"));

        // drop() needs the droppable option.
        var refused = await alice.OnClientAsync("a", "c => { try { c.drop(); return 'dropped'; } catch (e) { return e.name; } }");
        Assert.Equal("TypeError", refused.GetString());
    });

    /// <summary>
    /// Client <paramref name="key"/> of <paramref name="page"/>, after event <paramref name="after"/>, emitted
    /// <paramref name="first"/> (if any), then went `closed`, then emitted its last event, `close` with
    /// <paramref name="code"/> and no reconnection; and no `reconnecting` at all. Called once its `closed` promise
    /// resolved, which happens after that last event: whether to reconnect is decided, and announced, at the close.
    /// </summary>
    private static async Task AssertClosedForGoodAsync(RelayPage page, string key, int after, int code, string? first = null)
    {
        (string, object?)[] closing = [("statechange", new { state = "closed" }), ("close", new { code, willReconnect = false })];
        await page.WaitForSequenceAsync(key, after, first is null ? closing : [(first, null), .. closing]);
        var types = await page.TypesAsync(key, after);
        Assert.DoesNotContain("reconnecting", types);
        Assert.Equal("close", types[^1]);
        Assert.Single(types, t => t == "close");
    }

    /// <summary>A new room; alice (client 1, the host) in one page, bob (client 2, <see cref="SlowResume"/>) in another.</summary>
    private async Task<(Relay.IntegrationTests.Infrastructure.CreatedRoom Room, RelayPage Alice, RelayPage Bob)> AliceAndDroppableBobAsync(BrowserSession session)
    {
        var room = await fixture.Open.Api.CreateRoomAsync();
        var alice = await RelayPage.OpenAsync(session, fixture.Open);
        var bob = await RelayPage.OpenAsync(session, fixture.Open);
        Assert.Equal(1, (await alice.ConnectAsync("a", room.Id, room.Secret, "alice", FastReconnect)).GetProperty("clientId").GetInt32());
        Assert.Equal(2, (await bob.ConnectAsync("b", room.Id, room.Secret, "bob", SlowResume)).GetProperty("clientId").GetInt32());
        await alice.WaitForEventAsync("a", "client_joined", new { clientId = 2 });
        return (room, alice, bob);
    }

    /// <summary>The next WebSocket the page opened through the route (bounded wait).</summary>
    private static async Task<IWebSocketRoute> NextRouteAsync(Channel<IWebSocketRoute> routes) =>
        await routes.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromMilliseconds(BrowserFixture.TimeoutMs));
}
