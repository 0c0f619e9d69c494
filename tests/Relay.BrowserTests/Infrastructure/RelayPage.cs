using System.Text.Json;
using Microsoft.Playwright;

namespace Relay.BrowserTests.Infrastructure;

/// <summary>
/// A page of a Relay server with /client/relay.js imported and a small harness (`window.t`) that holds named
/// clients and records every event they emit, so that tests can wait for events with bounded timeouts.
/// </summary>
public sealed class RelayPage
{
    private const string Harness = """
        async () => {
          const relay = await import('/client/relay.js');
          const events = [];
          const types = ['connected', 'resumed', 'client_joined', 'client_left', 'client_away', 'client_back', 'host_changed',
            'message', 'kicked', 'room_closed', 'left', 'pong', 'error', 'binary', 'close', 'reconnecting', 'reconnected',
            'resumefailed', 'statechange'];
          const plain = (type, d) => type === 'binary' ? { from: d.from, seq: d.seq, data: Array.from(d.data) }
            : type === 'reconnected' ? { attempts: d.attempts, previousClientId: d.previousClientId, clientId: d.connected.clientId, resumed: d.resumed }
            : type === 'resumed' ? { ...d, resumeToken: typeof d.resumeToken } : d;
          const matches = (value, partial) => partial === undefined || partial === null
            || Object.entries(partial).every(([k, v]) => JSON.stringify(value?.[k]) === JSON.stringify(v));
          window.relay = relay;
          window.t = {
            relay, events, clients: {},
            create(key, options) {
              const client = new relay.RelayClient(options ?? {});
              this.clients[key] = client;
              for (const type of types) client.on(type, (d) => events.push({ seq: events.length, key, type, detail: plain(type, d) }));
              return client;
            },
            async connect(key, join, options) {
              const client = this.create(key, options);
              const connected = await client.connect(join);
              return { clientId: connected.clientId, isHost: connected.isHost, hostId: connected.hostId };
            },
            // The first event of `key` after event number `after` (-1: from the start) of `type` matching `partial`.
            find(key, type, partial, after = -1) {
              return events.find((e) => e.seq > after && e.key === key && e.type === type && matches(e.detail, partial));
            },
            // The events `steps` ([type, partial] pairs) of `key`, in this order, after event number `after`; else undefined.
            sequence(key, steps, after = -1) {
              const found = [];
              let from = after;
              for (const [type, partial] of steps) {
                const e = this.find(key, type, partial, from);
                if (e === undefined) return undefined;
                found.push(e);
                from = e.seq;
              }
              return found;
            },
            // The types of the events of `key` after event number `after`, in order.
            types(key, after = -1) {
              return events.filter((e) => e.key === key && e.seq > after).map((e) => e.type);
            },
            count(key, type) {
              return events.filter((e) => e.key === key && e.type === type).length;
            },
            mark() {
              return events.length - 1;
            },
          };
          return true;
        }
        """;

    private RelayPage(IPage page) => Page = page;

    public IPage Page { get; }

    /// <summary>Opens the server's `/` in a new page of <paramref name="session"/> and installs the harness.</summary>
    public static async Task<RelayPage> OpenAsync(BrowserSession session, RelayServer server)
    {
        var page = await session.NewPageAsync();
        await page.GotoAsync(server.Origin + "/");
        await page.EvaluateAsync(Harness);
        return new RelayPage(page);
    }

    /// <summary>
    /// Runs the JavaScript <paramref name="function"/> `(arg) => ...` (may be async) in <paramref name="page"/> and returns
    /// its result as JSON (serialised in the page, so that it is plain JSON); fails after <see cref="BrowserFixture.TimeoutMs"/>.
    /// </summary>
    public static async Task<JsonElement> EvaluateJsonAsync(IPage page, string function, object? arg = null)
    {
        // Evaluation itself has no timeout in Playwright: a promise that never settles is bounded here.
        var json = await page.EvaluateAsync<string>(
            $$"""
            async (arg) => {
              let timer;
              const timeout = new Promise((_, reject) => {
                timer = setTimeout(() => reject(new Error('no result within {{BrowserFixture.TimeoutMs}} ms')), {{BrowserFixture.TimeoutMs}});
              });
              try {
                const result = await Promise.race([({{function}})(arg), timeout]);
                return JSON.stringify(result === undefined ? null : result);
              } finally {
                clearTimeout(timer);
              }
            }
            """,
            arg);
        return JsonSerializer.Deserialize<JsonElement>(json);
    }

    /// <inheritdoc cref="EvaluateJsonAsync(IPage, string, object?)"/>
    public Task<JsonElement> EvaluateJsonAsync(string function, object? arg = null) => EvaluateJsonAsync(Page, function, arg);

    /// <summary>Creates client <paramref name="key"/> with <paramref name="options"/> and joins a room; returns `{clientId, isHost, hostId}`.</summary>
    public Task<JsonElement> ConnectAsync(string key, string roomId, string secret, string? name = null, object? options = null) =>
        JoinAsync(key, new { roomId, secret, name }, options);

    /// <summary>
    /// Creates client <paramref name="key"/> with <paramref name="options"/> and joins with <paramref name="join"/>, the
    /// argument of `connect` (e.g. `{token}`); returns `{clientId, isHost, hostId}`.
    /// </summary>
    public Task<JsonElement> JoinAsync(string key, object join, object? options = null) =>
        EvaluateJsonAsync("([key, join, options]) => t.connect(key, join, options)", new object?[] { key, join, options });

    /// <summary>Runs `client => ...` on client <paramref name="key"/> and returns its JSON result.</summary>
    public Task<JsonElement> OnClientAsync(string key, string function, object? arg = null) =>
        EvaluateJsonAsync($"([key, arg]) => ({function})(t.clients[key], arg)", new object?[] { key, arg });

    /// <summary>
    /// Waits (bounded) until client <paramref name="key"/> emitted a <paramref name="type"/> event whose detail matches
    /// <paramref name="partial"/>, after event number <paramref name="after"/> (see <see cref="MarkAsync"/>; -1: any).
    /// </summary>
    public async Task<JsonElement> WaitForEventAsync(string key, string type, object? partial = null, int after = -1) =>
        (await WaitForSequenceAsync(key, after, (type, partial)))[0];

    /// <summary>
    /// Waits (bounded) until client <paramref name="key"/> emitted the events <paramref name="steps"/> (type and partial
    /// detail) in this order, after event number <paramref name="after"/>; returns their details.
    /// </summary>
    public async Task<JsonElement[]> WaitForSequenceAsync(string key, int after, params (string Type, object? Partial)[] steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var pairs = steps.Select(s => new object?[] { s.Type, s.Partial }).ToArray();
        try
        {
            var handle = await Page.WaitForFunctionAsync(
                "([key, steps, after]) => { const found = t.sequence(key, steps, after); return found === undefined ? false : JSON.stringify(found.map((e) => e.detail)); }",
                new object?[] { key, pairs, after },
                new PageWaitForFunctionOptions { PollingInterval = 25 });
            return JsonSerializer.Deserialize<JsonElement[]>(await handle.JsonValueAsync<string>())!;
        }
        catch (TimeoutException e)
        {
            var seen = await Page.EvaluateAsync<string>("key => JSON.stringify(t.events.filter(e => e.key === key))", key);
            throw new TimeoutException(
                $"client '{key}' emitted no {string.Join(" then ", steps.Select(s => $"'{s.Type}' matching {JsonSerializer.Serialize(s.Partial)}"))} after event {after}; its events: {seen}",
                e);
        }
    }

    /// <summary>The number of the last event recorded so far (of any client): events after it come after this call.</summary>
    public Task<int> MarkAsync() => Page.EvaluateAsync<int>("() => t.mark()");

    /// <summary>The types of the events client <paramref name="key"/> emitted after event number <paramref name="after"/>, in order.</summary>
    public Task<string[]> TypesAsync(string key, int after) =>
        Page.EvaluateAsync<string[]>("([key, after]) => t.types(key, after)", new object[] { key, after });

    /// <summary>How many <paramref name="type"/> events client <paramref name="key"/> has emitted so far.</summary>
    public Task<int> CountAsync(string key, string type) =>
        Page.EvaluateAsync<int>("([key, type]) => t.count(key, type)", new object[] { key, type });
}
