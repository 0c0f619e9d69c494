using System.Text.Json;
using Microsoft.Playwright;
using Relay.BrowserTests.Infrastructure;
using Relay.Client;
using static Microsoft.Playwright.Assertions;

namespace Relay.BrowserTests;

/// <summary>The playground page at `/`, driven like a user would: by roles, labels and the keyboard.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PlaygroundTests(BrowserFixture fixture)
{
    [Fact]
    public Task A_new_user_creates_a_room_and_relays_messages_between_two_panes() => fixture.RunAsync(async session =>
    {
        var page = await session.NewPageAsync();
        await page.GotoAsync(fixture.Open.Origin + "/");
        await Expect(page).ToHaveTitleAsync("Relay playground");

        await page.GetByRole(AriaRole.Button, new() { Name = "Create room" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("created");

        var a = Pane(page, "A");
        var b = Pane(page, "B");
        await Expect(a.GetByLabel("Room id")).Not.ToHaveValueAsync("");
        await Expect(b.GetByLabel("Room id")).Not.ToHaveValueAsync("");

        await a.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true }).ClickAsync();
        await Expect(a.GetByText("Connected as #1 (host)")).ToBeVisibleAsync();
        // Pane B joins from the keyboard: Enter in its Name field.
        await b.GetByLabel("Name").PressAsync("Enter");
        await Expect(b.GetByText("Connected as #2")).ToBeVisibleAsync();

        // Presence: each pane lists both clients and who is host.
        await Expect(a.GetByRole(AriaRole.Checkbox, new() { Name = "#2 B" })).ToBeVisibleAsync();
        await Expect(b.GetByRole(AriaRole.Checkbox, new() { Name = "#1 A (host)" })).ToBeVisibleAsync();
        await Expect(a.GetByRole(AriaRole.Log)).ToContainTextAsync("#2 B joined");

        // Broadcast from A to B.
        await a.GetByLabel("Message").FillAsync("""{"text":"hello from A"}""");
        await a.GetByRole(AriaRole.Button, new() { Name = "Broadcast" }).ClickAsync();
        await Expect(b.GetByRole(AriaRole.Log)).ToContainTextAsync("""#1 A: {"text":"hello from A"}""");

        // Targeted send from B to A (plain text goes as a JSON string), then Ctrl+Enter broadcasts.
        await b.GetByRole(AriaRole.Checkbox, new() { Name = "#1 A" }).CheckAsync();
        await b.GetByLabel("Message").FillAsync("just for you");
        await b.GetByRole(AriaRole.Button, new() { Name = "Send to selected" }).ClickAsync();
        await Expect(a.GetByRole(AriaRole.Log)).ToContainTextAsync("""#2 B: "just for you" """.TrimEnd());
        await b.GetByLabel("Message").FillAsync("[1,2,3]");
        await b.GetByLabel("Message").PressAsync("Control+Enter");
        await Expect(a.GetByRole(AriaRole.Log)).ToContainTextAsync("#2 B: [1,2,3]");

        // Binary, as the text's UTF-8 bytes.
        await a.GetByLabel("As binary").CheckAsync();
        await a.GetByLabel("Message").FillAsync("hé");
        await a.GetByRole(AriaRole.Button, new() { Name = "Broadcast" }).ClickAsync();
        await Expect(b.GetByRole(AriaRole.Log)).ToContainTextAsync("""#1 A (binary): 3 bytes [68 c3 a9] "hé" """.TrimEnd());

        await a.GetByRole(AriaRole.Button, new() { Name = "Ping" }).ClickAsync();
        await Expect(a.GetByRole(AriaRole.Log)).ToContainTextAsync("Pong: round trip");

        // Host changes, then the host kicks B.
        await a.GetByRole(AriaRole.Button, new() { Name = "Make #2 B host" }).ClickAsync();
        await Expect(b.GetByText("Connected as #2 (host)")).ToBeVisibleAsync();
        await Expect(a.GetByRole(AriaRole.Log)).ToContainTextAsync("Host is now #2 B");
        await b.GetByRole(AriaRole.Button, new() { Name = "Make #1 A host" }).ClickAsync();
        await Expect(a.GetByText("Connected as #1 (host)")).ToBeVisibleAsync();
        await a.GetByRole(AriaRole.Button, new() { Name = "Kick #2 B" }).ClickAsync();
        await Expect(b.GetByRole(AriaRole.Log)).ToContainTextAsync("You were kicked");
        await Expect(b.GetByText("Closed (4001)")).ToBeVisibleAsync();
        await Expect(a.GetByRole(AriaRole.Log)).ToContainTextAsync("#2 B left (kicked)");

        // Panes can be added (filled with the room) and removed.
        await page.GetByRole(AriaRole.Button, new() { Name = "Add client pane" }).ClickAsync();
        var c = Pane(page, "C");
        await Expect(c.GetByLabel("Room id")).ToHaveValueAsync(await a.GetByLabel("Room id").InputValueAsync());
        await Expect(c.GetByLabel("Paste join details")).ToBeFocusedAsync();
        await c.GetByRole(AriaRole.Button, new() { Name = "Remove client C" }).ClickAsync();
        await Expect(c).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Add client pane" })).ToBeFocusedAsync();

        Assert.Empty(session.Errors);
    });

    [Fact]
    public Task A_pane_joins_with_a_client_token_typed_into_its_token_field_and_keeps_the_token_to_itself() => fixture.RunAsync(async session =>
    {
        var page = await session.NewPageAsync();
        await page.GotoAsync(fixture.Open.Origin + "/");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create room" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("created");
        var roomId = (await page.Locator("#room-id-value").TextContentAsync())!;
        var token = RelayTokens.Create(BrowserFixture.TokenSigningKey, roomId, userId: "user-7", name: "Tina");

        var a = Pane(page, "A");
        await a.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true }).ClickAsync();
        await Expect(a.GetByText("Connected as #1 (host)")).ToBeVisibleAsync();

        // Pane B: only the token (the room's id and secret filled into the pane are not what it joins with).
        var b = Pane(page, "B");
        await b.GetByLabel("Room id").FillAsync("");
        await b.GetByLabel("Secret", new() { Exact = true }).FillAsync("");
        var tokenField = b.GetByLabel("Client token");
        await Expect(tokenField).ToHaveAttributeAsync("type", "password");
        await tokenField.FillAsync(token);
        await b.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true }).ClickAsync();
        await Expect(b.GetByText("Connected as #2")).ToBeVisibleAsync();
        await Expect(b.GetByRole(AriaRole.Log)).ToContainTextAsync($"Joined room {roomId} as #2 Tina");

        // The others see the token's name and user id; messages flow both ways.
        await Expect(a.GetByRole(AriaRole.Log)).ToContainTextAsync("#2 Tina joined");
        await Expect(a.GetByRole(AriaRole.Checkbox, new() { Name = "#2 Tina [user user-7]" })).ToBeVisibleAsync();
        await b.GetByLabel("Message").FillAsync("""{"text":"hello with a token"}""");
        await b.GetByRole(AriaRole.Button, new() { Name = "Broadcast" }).ClickAsync();
        await Expect(a.GetByRole(AriaRole.Log)).ToContainTextAsync("""#2 Tina: {"text":"hello with a token"}""");
        await a.GetByLabel("Message").FillAsync("hi Tina");
        await a.GetByRole(AriaRole.Button, new() { Name = "Broadcast" }).ClickAsync();
        await Expect(b.GetByRole(AriaRole.Log)).ToContainTextAsync("""#1 A: "hi Tina" """.TrimEnd());

        // A token the server refuses is reported with its error code.
        await page.GetByRole(AriaRole.Button, new() { Name = "Add client pane" }).ClickAsync();
        var c = Pane(page, "C");
        await c.GetByLabel("Client token").FillAsync(RelayTokens.Create("a-key-this-server-does-not-have-0123456789", roomId));
        await c.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true }).ClickAsync();
        await Expect(c.GetByRole(AriaRole.Log)).ToContainTextAsync("invalid_token");

        // The token stays in its field: not in the logs, the markup, the console or any address.
        var logs = string.Join("\n", await page.GetByRole(AriaRole.Log).AllTextContentsAsync());
        Assert.Contains("→ connect with a token", logs, StringComparison.Ordinal);
        Assert.DoesNotContain(token, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(token, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(session.Console, m => m.Contains(token, StringComparison.Ordinal));
        Assert.DoesNotContain(session.Requests, r => r.Contains(token, StringComparison.Ordinal));
        Assert.Empty(session.Errors);
    });

    [Fact]
    public Task Secrets_stay_out_of_addresses_storage_console_logs_and_markup() => fixture.RunAsync(async session =>
    {
        await session.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = fixture.Open.Origin });
        var page = await session.NewPageAsync();
        var response = await page.GotoAsync(fixture.Open.Origin + "/");
        Assert.NotNull(response);
        var headers = await response.AllHeadersAsync();
        Assert.Equal("no-referrer", headers["referrer-policy"]);
        Assert.Equal("nosniff", headers["x-content-type-options"]);
        Assert.Contains("script-src 'self'", headers["content-security-policy"], StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Button, new() { Name = "Create room" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("created");
        var secret = await page.GetByRole(AriaRole.Textbox, new() { Name = "Join secret" }).InputValueAsync();
        var hostSecret = await page.GetByRole(AriaRole.Textbox, new() { Name = "Host secret" }).InputValueAsync();
        Assert.True(secret.Length >= 16 && hostSecret.Length >= 16);

        // Secrets are masked, with a Show toggle.
        var joinSecret = page.GetByRole(AriaRole.Textbox, new() { Name = "Join secret" });
        await Expect(joinSecret).ToHaveAttributeAsync("type", "password");
        await Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "Host secret" })).ToHaveAttributeAsync("type", "password");
        await Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "API key" })).ToHaveAttributeAsync("type", "password");
        await Expect(Pane(page, "A").GetByLabel("Secret", new() { Exact = true })).ToHaveAttributeAsync("type", "password");
        await Expect(Pane(page, "A").GetByLabel("Paste join details")).ToHaveAttributeAsync("type", "password");
        var show = page.GetByRole(AriaRole.Button, new() { Name = "Show join secret" });
        await show.ClickAsync();
        await Expect(joinSecret).ToHaveAttributeAsync("type", "text");
        await Expect(show).ToHaveAttributeAsync("aria-pressed", "true");
        await show.ClickAsync();
        await Expect(joinSecret).ToHaveAttributeAsync("type", "password");

        // Join details travel by the clipboard into a pane: here the host's, into a new pane.
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy host join details" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("copied");
        var copied = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        using (var details = JsonDocument.Parse(copied))
        {
            Assert.Equal(hostSecret, details.RootElement.GetProperty("secret").GetString());
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Add client pane" }).ClickAsync();
        var c = Pane(page, "C");
        await c.GetByLabel("Room id").FillAsync("");
        await c.GetByLabel("Secret", new() { Exact = true }).FillAsync("");
        await c.GetByLabel("Paste join details").FillAsync(copied);
        await Expect(c.GetByLabel("Paste join details")).ToHaveValueAsync("");
        await Expect(c.GetByLabel("Secret", new() { Exact = true })).ToHaveValueAsync(hostSecret);

        // Use the room: A joins, C joins with the host secret and takes over as host, messages flow.
        var a = Pane(page, "A");
        await a.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true }).ClickAsync();
        await Expect(a.GetByText("Connected as #1 (host)")).ToBeVisibleAsync();
        await c.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true }).ClickAsync();
        await Expect(c.GetByText("Connected as #2 (host)")).ToBeVisibleAsync();
        await Expect(a.GetByRole(AriaRole.Log)).ToContainTextAsync("Host is now #2 C");
        await c.GetByRole(AriaRole.Button, new() { Name = "Broadcast" }).ClickAsync();
        await Expect(a.GetByRole(AriaRole.Log)).ToContainTextAsync("""#2 C: {"text":"hello"}""");
        // A wrong secret is reported without echoing it.
        var b = Pane(page, "B");
        await b.GetByLabel("Secret", new() { Exact = true }).FillAsync(secret + "-wrong");
        await b.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true }).ClickAsync();
        await Expect(b.GetByRole(AriaRole.Log)).ToContainTextAsync("invalid_secret");

        // Nowhere but the fields: not in the address, storage, cookies, markup, logs, console or any request.
        Assert.Equal(fixture.Open.Origin + "/", page.Url);
        var stored = await RelayPage.EvaluateJsonAsync(page, """
            async () => ({
              local: localStorage.length, session: sessionStorage.length, cookie: document.cookie,
              databases: (await indexedDB.databases()).length,
              markup: document.documentElement.outerHTML, logs: [...document.querySelectorAll('[role=log]')].map(l => l.textContent).join('\n'),
              title: document.title, referrer: document.referrer,
            })
            """);
        Assert.Equal(0, stored.GetProperty("local").GetInt32());
        Assert.Equal(0, stored.GetProperty("session").GetInt32());
        Assert.Equal(string.Empty, stored.GetProperty("cookie").GetString());
        Assert.Equal(0, stored.GetProperty("databases").GetInt32());
        Assert.Empty(await session.Context.CookiesAsync());
        var logs = stored.GetProperty("logs").GetString()!;
        Assert.Contains("invalid_secret", logs, StringComparison.Ordinal);
        foreach (var value in new[] { secret, hostSecret })
        {
            Assert.DoesNotContain(value, stored.GetProperty("markup").GetString()!, StringComparison.Ordinal);
            Assert.DoesNotContain(value, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(value, stored.GetProperty("title").GetString()!, StringComparison.Ordinal);
            Assert.DoesNotContain(session.Console, m => m.Contains(value, StringComparison.Ordinal));
            Assert.DoesNotContain(session.Requests, r => r.Contains(value, StringComparison.Ordinal));
        }

        Assert.Contains(session.Requests, r => r.StartsWith("POST ", StringComparison.Ordinal) && r.Contains("/v1/api/rooms", StringComparison.Ordinal));
        Assert.Contains(session.Requests, r => r.StartsWith("WEBSOCKET ws://", StringComparison.Ordinal) && r.EndsWith("/v1/websocket", StringComparison.Ordinal));
        Assert.DoesNotContain(session.Requests, r => r.Contains("referer=", StringComparison.Ordinal));
        Assert.Empty(session.Errors);
    });

    [Fact]
    public Task Asks_for_the_API_key_when_the_server_requires_one_and_keeps_it_out_of_storage() => fixture.RunAsync(async session =>
    {
        var page = await session.NewPageAsync();
        await page.GotoAsync(fixture.Keyed.Origin + "/");
        var create = page.GetByRole(AriaRole.Button, new() { Name = "Create room" });
        await create.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("requires an API key");
        var apiKey = page.GetByRole(AriaRole.Textbox, new() { Name = "API key" });
        await Expect(apiKey).ToBeFocusedAsync();

        await apiKey.FillAsync(BrowserFixture.ApiKey);
        await apiKey.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("created");
        var a = Pane(page, "A");
        await a.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true }).ClickAsync();
        await Expect(a.GetByText("Connected as #1 (host)")).ToBeVisibleAsync();

        Assert.Equal(fixture.Keyed.Origin + "/", page.Url);
        var storage = await page.EvaluateAsync<int>("() => localStorage.length + sessionStorage.length + document.cookie.length");
        Assert.Equal(0, storage);
        Assert.DoesNotContain(session.Requests, r => r.Contains(BrowserFixture.ApiKey, StringComparison.Ordinal));
        Assert.DoesNotContain(session.Console, m => m.Contains(BrowserFixture.ApiKey, StringComparison.Ordinal));
        // The 401 is a network-level console error of Chromium's ("Failed to load resource"); nothing else.
        Assert.All(session.Errors, e => Assert.Contains("401", e, StringComparison.Ordinal));
    });

    [Fact]
    public Task Drop_connection_shows_the_member_away_in_the_other_pane_then_back_with_the_same_id() => fixture.RunAsync(async session =>
    {
        var page = await session.NewPageAsync();
        await page.GotoAsync(fixture.Open.Origin + "/");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create room" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("created");
        var a = Pane(page, "A");
        var b = Pane(page, "B");
        await a.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true }).ClickAsync();
        await Expect(a.GetByText("Connected as #1 (host)")).ToBeVisibleAsync();
        var drop = b.GetByRole(AriaRole.Button, new() { Name = "Drop connection" });
        await Expect(drop).ToBeDisabledAsync();
        await b.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true }).ClickAsync();
        await Expect(b.GetByText("Connected as #2")).ToBeVisibleAsync();
        await Expect(a.GetByRole(AriaRole.Checkbox, new() { Name = "#2 B", Exact = true })).ToBeVisibleAsync();

        // Pane A's member list is recorded at every change: the away entry lasts only until B is back.
        await page.EvaluateAsync("""
            () => {
              const list = document.querySelectorAll('[data-presence]')[0];
              window.presenceSeen = [];
              new MutationObserver(() => window.presenceSeen.push(list.textContent)).observe(list, { childList: true, subtree: true });
            }
            """);
        await drop.ClickAsync();
        await Expect(b.GetByRole(AriaRole.Log)).ToContainTextAsync("Resumed the seat after 1 attempt");
        await Expect(b.GetByText("Connected as #2")).ToBeVisibleAsync();
        await Expect(a.GetByRole(AriaRole.Log)).ToContainTextAsync("#2 B is back");
        var log = await a.GetByRole(AriaRole.Log).TextContentAsync() ?? string.Empty;
        var awayAt = log.IndexOf("#2 B is away", StringComparison.Ordinal);
        Assert.True(awayAt >= 0 && awayAt < log.IndexOf("#2 B is back", StringComparison.Ordinal), log);
        Assert.Contains(await page.EvaluateAsync<string[]>("() => window.presenceSeen"), text => text.Contains("#2 B (away)", StringComparison.Ordinal));
        await Expect(a.GetByRole(AriaRole.Checkbox, new() { Name = "#2 B", Exact = true })).ToBeVisibleAsync();

        // Still one seat, and messages flow to it.
        await a.GetByLabel("Message").FillAsync("""{"text":"still there?"}""");
        await a.GetByRole(AriaRole.Button, new() { Name = "Broadcast" }).ClickAsync();
        await Expect(b.GetByRole(AriaRole.Log)).ToContainTextAsync("""#1 A: {"text":"still there?"}""");
        Assert.DoesNotContain("#3", log, StringComparison.Ordinal);
        Assert.Empty(session.Errors);
    });

    [Fact]
    public Task Page_has_landmarks_labelled_controls_and_a_live_log() => fixture.RunAsync(async session =>
    {
        var page = await session.NewPageAsync();
        await page.GotoAsync(fixture.Open.Origin + "/");
        await Expect(page.GetByRole(AriaRole.Main)).ToHaveCountAsync(1);
        await Expect(page.GetByRole(AriaRole.Banner)).ToHaveCountAsync(1);
        await Expect(page.GetByRole(AriaRole.Contentinfo)).ToHaveCountAsync(1);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Relay playground");
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Client A" })).ToHaveCountAsync(1);
        await Expect(page.Locator("[role=log][aria-live=polite]")).ToHaveCountAsync(2);

        var unlabelled = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('input, select, textarea, button')]
              .filter(e => !(e.labels?.length || e.getAttribute('aria-label') || (e.tagName === 'BUTTON' && e.textContent.trim())))
              .map(e => e.outerHTML)
            """);
        Assert.Empty(unlabelled);
        Assert.Equal("en", await page.Locator("html").GetAttributeAsync("lang"));

        // Keyboard: the first Tab reaches the skip link, which moves focus to the panes without changing the address.
        await page.Keyboard.PressAsync("Tab");
        var skip = page.GetByRole(AriaRole.Link, new() { Name = "Skip to the client panes" });
        await Expect(skip).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "2. Connect clients" })).ToBeFocusedAsync();
        Assert.Equal(fixture.Open.Origin + "/", page.Url);
        Assert.Empty(session.Errors);
    });

    private static ILocator Pane(IPage page, string label) =>
        page.GetByRole(AriaRole.Region, new() { Name = $"Client {label}", Exact = true });
}
