using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using Microsoft.Playwright;
using Relay.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Relay.BrowserTests;

/// <summary>
/// The monitor page at `/monitor`, in Chromium against the real server: rooms with their live client counts and relay
/// rates, a room's members, kick, lock and delete (checked over REST), the server's charts, and the API key.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class MonitorTests(BrowserFixture fixture)
{
    /// <summary>Records every Content-Security-Policy violation of the page in `window.cspViolations`.</summary>
    private const string RecordViolations = """
        window.cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
        """;

    /// <summary>How many pixels of a canvas are not transparent.</summary>
    private const string PaintedPixels = """
        (canvas) => {
          const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          let painted = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted += 1;
          return painted;
        }
        """;

    [Fact]
    public Task Shows_rooms_with_live_client_counts_relay_rates_and_charts_of_the_relay_rate_under_a_strict_policy() => fixture.RunAsync(async session =>
    {
        var server = fixture.Open;
        var page = await OpenAsync(session, server);
        await Expect(page).ToHaveTitleAsync("Relay monitor");
        var room = await server.Api.CreateRoomAsync();
        var quiet = await server.Api.CreateRoomAsync();
        var seats = room.Body.GetProperty("maxClients").GetInt32();
        var row = RoomRow(page, room.Id);

        await Expect(Cell(row, "clients")).ToHaveTextAsync($"0 / {seats}");
        await Expect(Cell(row, "protocol")).ToHaveTextAsync("mesh");
        await Expect(Cell(row, "locked")).ToHaveTextAsync("no");
        await Expect(Cell(row, "host")).ToHaveTextAsync("none");

        await using var alice = await server.ConnectClientAsync();
        await alice.JoinAsync(room.Id, room.Secret, "alice");
        await Expect(Cell(row, "clients")).ToHaveTextAsync($"1 / {seats}");
        await Expect(Cell(row, "host")).ToHaveTextAsync("#1");
        var bob = await server.ConnectClientAsync();
        await bob.JoinAsync(room.Id, room.Secret, "bob");
        await Expect(Cell(row, "clients")).ToHaveTextAsync($"2 / {seats}");

        // Relays: the page's total catches up with the server's, and the rate chart saw them.
        for (var i = 0; i < 5; i++)
        {
            await alice.SendJsonAsync(new { type = "broadcast", data = new { n = i } });
            await bob.ExpectAsync("message");
        }

        var relayed = (await server.Api.GetJsonAsync("/v1/api/summary")).GetProperty("messagesRelayed").GetInt64();
        Assert.True(relayed >= 5, $"messagesRelayed {relayed}");
        await page.WaitForFunctionAsync("min => Number(document.getElementById('summary-relayed').dataset.value) >= min", relayed);
        await page.WaitForFunctionAsync("() => Number(document.getElementById('rate-chart').dataset.peak) > 0");
        await Expect(page.Locator("#rate-chart-text")).ToContainTextAsync("messages/s");
        await page.WaitForFunctionAsync("() => Number(document.getElementById('clients-chart').dataset.samples) >= 2");
        Assert.True(await page.Locator("#rate-chart").EvaluateAsync<int>(PaintedPixels) > 0, "the rate chart is drawn");
        Assert.True(await page.Locator("#clients-chart").EvaluateAsync<int>(PaintedPixels) > 0, "the clients chart is drawn");

        // Each room's own rate: above 0 in a room with traffic (kept up until the page shows it), 0 in a quiet one.
        var rate = Cell(row, "rate");
        await Eventually.TrueAsync(
            async () =>
            {
                await alice.SendJsonAsync(new { type = "broadcast", data = "more" });
                await bob.ExpectAsync("message");
                var shown = await rate.GetAttributeAsync("data-value");
                return double.TryParse(shown, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0;
            },
            TimeSpan.FromSeconds(30),
            "the room's row showing a relay rate above 0");
        await Expect(rate).Not.ToHaveTextAsync("–");
        await Expect(Cell(RoomRow(page, quiet.Id), "rate")).ToHaveTextAsync("0.0");

        // The room view shows the room's count and rate.
        var roomRelayed = (await server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}")).GetProperty("messagesRelayed").GetInt64();
        Assert.True(roomRelayed >= 6, $"the room's messagesRelayed {roomRelayed}");
        await page.GetByRole(AriaRole.Button, new() { Name = room.Id, Exact = true }).ClickAsync();
        await page.WaitForFunctionAsync("min => Number(document.getElementById('room-view-relayed').dataset.value) >= min", roomRelayed);
        await Expect(page.Locator("#room-view-rate")).ToContainTextAsync(" messages/s");

        await bob.DisposeAsync();
        await Expect(Cell(row, "clients")).ToHaveTextAsync($"1 / {seats}");

        // Paused while hidden, live again when shown.
        await page.EvaluateAsync(SetHidden, true);
        await Expect(page.Locator("#poll-status")).ToHaveTextAsync("Paused while this tab is hidden.");
        await page.EvaluateAsync(SetHidden, false);
        await Expect(page.Locator("#poll-status")).ToContainTextAsync("Live: updated at");

        await AssertCleanAsync(page, session);
    });

    [Fact]
    public Task A_room_s_members_show_the_host_the_user_id_of_a_token_and_who_is_away() => fixture.RunAsync(async session =>
    {
        const string SigningKey = "monitor-tests-signing-key-0123456789abcdef";
        await using var server = await RelayServer.StartAsync(("Relay:Tokens:SigningKeys:0", SigningKey));
        var room = await server.Api.CreateRoomAsync("""{"resumeWindowSeconds":300,"metadata":{"map":"harbor"}}""");
        await using var alice = await server.ConnectClientAsync();
        await alice.JoinAsync(room.Id, room.Secret, "alice");
        await using var bob = await server.ConnectClientAsync();
        await bob.SendJsonAsync(new { type = "connect", token = Relay.Client.RelayTokens.Create(SigningKey, room.Id, userId: "user-7", name: "bob") });
        await bob.ExpectAsync("connected");
        await using var carol = await server.ConnectClientAsync();
        await carol.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Secret, name = "carol", resume = true });
        await carol.ExpectAsync("connected");
        carol.Abort();

        var page = await OpenAsync(session, server);
        await page.GetByRole(AriaRole.Button, new() { Name = room.Id, Exact = true }).ClickAsync();
        var view = page.GetByRole(AriaRole.Region, new() { Name = $"Room {room.Id}" });
        await Expect(view).ToBeVisibleAsync();
        await Expect(view).ToContainTextAsync("""Metadata: {"map":"harbor"}""");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = room.Id, Exact = true })).ToHaveAttributeAsync("aria-current", "true");

        var members = page.Locator("#members-body tr");
        await Expect(members).ToHaveCountAsync(3);
        await ExpectMemberAsync(page, 1, "alice", host: "host", status: "connected", user: "—");
        await ExpectMemberAsync(page, 2, "bob", host: "", status: "connected", user: "user-7");
        // Carol dropped without leaving: she keeps her seat, away, for the room's resume window.
        await ExpectMemberAsync(page, 3, "carol", host: "", status: "away", user: "—");
        await Expect(Member(page, 1).Locator("[data-col=joined]")).Not.ToBeEmptyAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Kick #3 carol" })).ToBeVisibleAsync();

        // Nothing of the room's secrets reached the page, and it stored nothing (no key was needed).
        var html = await page.ContentAsync();
        Assert.DoesNotContain(room.Secret, html, StringComparison.Ordinal);
        Assert.DoesNotContain(room.HostSecret, html, StringComparison.Ordinal);
        Assert.Equal(0, await page.EvaluateAsync<int>("() => sessionStorage.length"));
        var read = await server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}");
        Assert.False(read.TryGetProperty("secret", out _));
        Assert.False(read.TryGetProperty("hostSecret", out _));
        await AssertCleanAsync(page, session);
    });

    [Fact]
    public Task Kick_lock_and_delete_act_on_the_room_over_REST_and_delete_asks_first() => fixture.RunAsync(async session =>
    {
        var server = fixture.Open;
        var room = await server.Api.CreateRoomAsync();
        await using var alice = await server.ConnectClientAsync();
        await alice.JoinAsync(room.Id, room.Secret, "alice");
        await using var bob = await server.ConnectClientAsync();
        await bob.JoinAsync(room.Id, room.Secret, "bob");
        var page = await OpenAsync(session, server);
        await page.GetByRole(AriaRole.Button, new() { Name = room.Id, Exact = true }).ClickAsync();
        var members = page.Locator("#members-body tr");
        await Expect(members).ToHaveCountAsync(2);
        var status = page.GetByRole(AriaRole.Status);

        // Kick: bob is closed with 4001 and leaves the list.
        await page.GetByRole(AriaRole.Button, new() { Name = "Kick #2 bob" }).ClickAsync();
        var (closeStatus, _) = await bob.WaitForCloseAsync();
        Assert.Equal((WebSocketCloseStatus)4001, closeStatus);
        await Expect(status).ToHaveTextAsync($"Kicked #2 bob from room {room.Id}.");
        await Expect(members).ToHaveCountAsync(1);
        Assert.Equal(1, (await server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}")).GetProperty("clientCount").GetInt32());

        // Lock, then unlock.
        await page.GetByRole(AriaRole.Button, new() { Name = "Lock room", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Unlock room", Exact = true })).ToBeVisibleAsync();
        Assert.True((await server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}")).GetProperty("locked").GetBoolean());
        await Expect(Cell(RoomRow(page, room.Id), "locked")).ToHaveTextAsync("locked");
        await using var late = await server.ConnectClientAsync();
        await late.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Secret });
        await late.ExpectErrorAsync("room_locked");
        await page.GetByRole(AriaRole.Button, new() { Name = "Unlock room", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Lock room", Exact = true })).ToBeVisibleAsync();
        Assert.False((await server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}")).GetProperty("locked").GetBoolean());
        await Expect(Cell(RoomRow(page, room.Id), "locked")).ToHaveTextAsync("no");

        // Delete asks first; Cancel keeps the room.
        var confirm = page.GetByRole(AriaRole.Group, new() { Name = $"Delete room {room.Id}?" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete room", Exact = true }).ClickAsync();
        await Expect(confirm).ToBeVisibleAsync();
        await Expect(confirm).ToContainTextAsync("Its client gets room_closed");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToBeFocusedAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(confirm).ToBeHiddenAsync();
        using (var kept = await server.Http.GetAsync($"/v1/api/rooms/{room.Id}"))
        {
            Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Delete room", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, delete the room" }).ClickAsync();
        var (deletedStatus, _) = await alice.WaitForCloseAsync();
        Assert.Equal((WebSocketCloseStatus)4000, deletedStatus);
        await Expect(status).ToHaveTextAsync($"Deleted room {room.Id}.");
        await Expect(page.Locator("#room-view")).ToBeHiddenAsync();
        await Expect(RoomRow(page, room.Id)).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Rooms", Exact = true })).ToBeFocusedAsync();
        using (var gone = await server.Http.GetAsync($"/v1/api/rooms/{room.Id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        await AssertCleanAsync(page, session);
    });

    [Fact]
    public Task With_API_keys_no_key_and_a_wrong_key_show_the_rejection_and_no_rooms_and_the_right_key_shows_them() => fixture.RunAsync(async session =>
    {
        var server = fixture.Keyed;
        var room = await server.Api.CreateRoomAsync();
        var page = await OpenAsync(session, server);
        var alert = page.GetByRole(AriaRole.Alert);
        var rows = page.Locator("#rooms-body tr");
        var key = page.GetByLabel("API key (only if this server requires one)");

        // Enters a key (Use key, or Enter in the field) and expects the rooms, or the rejection and no data.
        async Task UseKeyAsync(string value, bool accepted, bool pressEnter = false)
        {
            await key.FillAsync(value);
            await (pressEnter ? key.PressAsync("Enter") : page.GetByRole(AriaRole.Button, new() { Name = "Use key" }).ClickAsync());
            if (accepted)
            {
                await Expect(RoomRow(page, room.Id)).ToBeVisibleAsync();
                await Expect(alert).ToBeHiddenAsync();
                await Expect(page.Locator("#summary-rooms")).Not.ToHaveTextAsync("–");
                Assert.Equal(value, await StoredKeyAsync(page));
            }
            else
            {
                await ExpectRefusedAsync("API key rejected");
            }
        }

        // The server's 401 problem, no data, and no key kept.
        async Task ExpectRefusedAsync(string why)
        {
            await Expect(alert).ToContainTextAsync(why);
            await Expect(alert).ToContainTextAsync("Send one of the server's API keys in X-Api-Key or Authorization: Bearer.");
            await Expect(rows).ToHaveCountAsync(0);
            await Expect(page.Locator("#summary-rooms")).ToHaveTextAsync("–");
            Assert.Null(await StoredKeyAsync(page));
        }

        await ExpectRefusedAsync("API key required");
        await UseKeyAsync("not-the-key-0123456789", accepted: false);
        // The right key shows the rooms and is kept for this tab only; a reload keeps using it.
        await UseKeyAsync(BrowserFixture.ApiKey, accepted: true, pressEnter: true);
        await page.ReloadAsync();
        await Expect(RoomRow(page, room.Id)).ToBeVisibleAsync();
        await Expect(alert).ToBeHiddenAsync();

        // A wrong key after the right one: the data goes, and so does the stored key.
        await UseKeyAsync("not-the-key-either-0123456789", accepted: false);
        await UseKeyAsync(BrowserFixture.ApiKey, accepted: true);

        // Forget key: back to "required", nothing stored.
        await page.GetByRole(AriaRole.Button, new() { Name = "Forget key" }).ClickAsync();
        await ExpectRefusedAsync("API key required");

        // The key never went into an address, and the page shows no room secret.
        Assert.DoesNotContain(BrowserFixture.ApiKey, page.Url, StringComparison.Ordinal);
        Assert.DoesNotContain(session.Requests, r => r.Contains(BrowserFixture.ApiKey, StringComparison.Ordinal) || r.Contains("not-the-key", StringComparison.Ordinal));
        Assert.Contains(session.Requests, r => r.StartsWith("GET ", StringComparison.Ordinal) && r.Contains("/v1/api/rooms", StringComparison.Ordinal));
        Assert.DoesNotContain(room.Secret, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.Empty(await page.EvaluateAsync<string[]>("() => window.cspViolations"));
        // The browser reports each refused request; nothing else went wrong.
        Assert.DoesNotContain(session.Errors, e => !e.Contains("status of 401", StringComparison.Ordinal));
    });

    /// <summary>Makes the page believe its tab is hidden (true) or shown (false) and tells it so.</summary>
    private const string SetHidden = """
        (hidden) => {
          Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
          Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
          document.dispatchEvent(new Event('visibilitychange'));
        }
        """;

    private static async Task<IPage> OpenAsync(BrowserSession session, RelayServer server)
    {
        var page = await session.NewPageAsync();
        await page.AddInitScriptAsync(RecordViolations);
        await page.GotoAsync(server.Origin + "/monitor");
        return page;
    }

    private static ILocator RoomRow(IPage page, string roomId) => page.Locator($"#rooms-body tr[data-room-id=\"{roomId}\"]");

    private static ILocator Member(IPage page, int clientId) => page.Locator($"#members-body tr[data-client-id=\"{clientId}\"]");

    private static ILocator Cell(ILocator row, string column) => row.Locator($"[data-col={column}]");

    private static async Task ExpectMemberAsync(IPage page, int clientId, string name, string host, string status, string user)
    {
        var row = Member(page, clientId);
        await Expect(Cell(row, "client")).ToHaveTextAsync($"#{clientId}");
        await Expect(Cell(row, "name")).ToHaveTextAsync(name);
        await Expect(Cell(row, "host")).ToHaveTextAsync(host);
        await Expect(Cell(row, "status")).ToHaveTextAsync(status);
        await Expect(Cell(row, "user")).ToHaveTextAsync(user);
    }

    private static Task<string?> StoredKeyAsync(IPage page) =>
        page.EvaluateAsync<string?>("() => sessionStorage.getItem('relay-monitor.api-key')");

    /// <summary>No policy violation, no console error, no uncaught exception.</summary>
    private static async Task AssertCleanAsync(IPage page, BrowserSession session)
    {
        Assert.Empty(await page.EvaluateAsync<string[]>("() => window.cspViolations"));
        Assert.Empty(session.Errors);
    }
}
