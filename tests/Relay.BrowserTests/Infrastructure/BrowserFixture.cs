using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Playwright;

namespace Relay.BrowserTests.Infrastructure;

/// <summary>
/// One headless Chromium (Debian's /usr/bin/chromium, never a downloaded one) and two real Relay servers,
/// shared by every test of the "browser" collection: <see cref="Open"/> with an open REST API and any origin
/// allowed, and <see cref="Keyed"/>, configured as in production: its REST API requires <see cref="ApiKey"/> and
/// `Relay:AllowedOrigins` lists another site only, so that its own pages (the playground) connect as the
/// server's own origin. Each test gets its own browser context.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ApiKey = "browser-tests-api-key-0123456789";

    /// <summary>The only origin <see cref="Keyed"/> lists in `Relay:AllowedOrigins`.</summary>
    public const string OtherSite = "https://app.example";

    /// <summary>
    /// A name this browser resolves to 127.0.0.1 (a host resolver rule), as a DNS rebinding attacker's name
    /// resolves to a victim's server: a page loaded through it has that name as its origin and `Host`.
    /// </summary>
    public const string RebindingHost = "rebinding.example";

    /// <summary>Bounded wait for every Playwright action, wait and expectation.</summary>
    public const float TimeoutMs = 10_000;

    /// <summary>Where Chromium is looked for; RELAY_CHROMIUM overrides it.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("RELAY_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public RelayServer Open { get; private set; } = null!;

    public RelayServer Keyed { get; private set; } = null!;

    /// <summary>Failure screenshots go here: bin/.../screenshots/&lt;test&gt;[-n].png.</summary>
    public static string ScreenshotDirectory => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"Chromium is missing: the browser tests need Debian's Chromium at {ChromiumPath} (or set RELAY_CHROMIUM to another " +
                "Chromium binary). Install it with `sudo apt-get install -y chromium` (./test.sh does this). The tests never " +
                "download browsers (`playwright install` is not used).");
        }

        Open = await RelayServer.StartAsync();
        Keyed = await RelayServer.StartAsync([("Relay:AllowedOrigins:0", OtherSite)], configure: null, ApiKey);
        Assertions.SetDefaultExpectTimeout(TimeoutMs);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Timeout = 30_000,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run",
                "--disable-component-update", "--disable-sync", $"--host-resolver-rules=MAP {RebindingHost} 127.0.0.1",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (Open is not null)
        {
            await Open.DisposeAsync();
        }

        if (Keyed is not null)
        {
            await Keyed.DisposeAsync();
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> in a fresh browser context. On failure, screenshots every open page to
    /// <see cref="ScreenshotDirectory"/> and rethrows with their paths and the pages' console output.
    /// </summary>
    public async Task RunAsync(Func<BrowserSession, Task> body, BrowserNewContextOptions? options = null, [CallerMemberName] string test = "")
    {
        var context = await Browser.NewContextAsync(options ?? new BrowserNewContextOptions());
        context.SetDefaultTimeout(TimeoutMs);
        var session = new BrowserSession(context);
        try
        {
            await body(session);
        }
        catch (Exception failure)
        {
            var shots = await ScreenshotAsync(context, test);
            throw new BrowserTestException(
                $"{failure.Message}{Environment.NewLine}Screenshots: {(shots.Count == 0 ? "(no open page)" : string.Join(", ", shots))}" +
                $"{Environment.NewLine}Browser console:{Environment.NewLine}  {string.Join($"{Environment.NewLine}  ", session.Console)}",
                failure);
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    private static async Task<List<string>> ScreenshotAsync(IBrowserContext context, string test)
    {
        var paths = new List<string>();
        Directory.CreateDirectory(ScreenshotDirectory);
        var n = 0;
        foreach (var page in context.Pages)
        {
            var path = Path.Combine(ScreenshotDirectory, n == 0 ? $"{test}.png" : $"{test}-{n}.png");
            n++;
            try
            {
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true, Timeout = 5_000 });
                paths.Add(path);
            }
            catch (PlaywrightException e)
            {
                paths.Add($"{path} (failed: {e.Message})");
            }
        }

        return paths;
    }
}

/// <summary>A test's browser context, with everything its pages wrote to the console.</summary>
public sealed class BrowserSession
{
    private readonly ConcurrentQueue<string> _console = new();
    private readonly ConcurrentQueue<string> _requests = new();

    public BrowserSession(IBrowserContext context)
    {
        Context = context;
        context.Console += (_, message) => _console.Enqueue($"[{message.Type}] {message.Text}");
        context.WebError += (_, error) => _console.Enqueue($"[pageerror] {error.Error}");
        context.Request += (_, request) =>
        {
            // Chromium reports the header as empty when the referrer policy removed it.
            request.Headers.TryGetValue("referer", out var referer);
            _requests.Enqueue($"{request.Method} {request.Url}{(string.IsNullOrEmpty(referer) ? string.Empty : $" referer={referer}")}");
        };
        context.Page += (_, page) => page.WebSocket += (_, socket) => _requests.Enqueue($"WEBSOCKET {socket.Url}");
    }

    public IBrowserContext Context { get; }

    /// <summary>Console messages (`[type] text`) and uncaught page errors, in order.</summary>
    public IReadOnlyCollection<string> Console => [.. _console];

    /// <summary>Every request the pages made: `METHOD url [referer=...]`, and `WEBSOCKET url` for WebSockets.</summary>
    public IReadOnlyCollection<string> Requests => [.. _requests];

    /// <summary>Console errors and uncaught exceptions (a CSP violation shows up here).</summary>
    public IReadOnlyCollection<string> Errors => [.. _console.Where(m => m.StartsWith("[error]", StringComparison.Ordinal) || m.StartsWith("[pageerror]", StringComparison.Ordinal))];

    public Task<IPage> NewPageAsync() => Context.NewPageAsync();
}

/// <summary>A browser test failure, with screenshot paths and console output in its message.</summary>
public sealed class BrowserTestException(string message, Exception inner) : Exception(message, inner);

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
