using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Relay.BrowserTests.Infrastructure;

namespace Relay.BrowserTests;

/// <summary>How the playground's and the monitor's files are served: types, caching, security headers, methods, no API key.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class PlaygroundAssetTests(BrowserFixture fixture)
{
    /// <summary>Path, media type, and whether the page may open WebSockets (the monitor does not).</summary>
    public static TheoryData<string, string, bool> Assets => new()
    {
        { "/", "text/html", true },
        { "/client/relay.js", "text/javascript", true },
        { "/playground/playground.js", "text/javascript", true },
        { "/playground/playground.css", "text/css", true },
        { "/playground/favicon.svg", "image/svg+xml", true },
        { "/monitor", "text/html", false },
        { "/monitor/monitor.js", "text/javascript", false },
        { "/monitor/monitor.css", "text/css", false },
    };

    [Theory]
    [MemberData(nameof(Assets))]
    public async Task Served_from_memory_with_type_validators_and_security_headers(string path, string mediaType, bool webSockets)
    {
        // The keyed server: these paths never need the API key.
        var server = fixture.Keyed;
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.NotEmpty(body);
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.True(response.Headers.CacheControl?.NoCache, "Cache-Control: no-cache");
        Assert.Equal("nosniff", Single(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Single(response, "Referrer-Policy"));
        var csp = Single(response, "Content-Security-Policy");
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains(
            webSockets ? $"connect-src 'self' ws://{server.BaseAddress.Authority} wss://{server.BaseAddress.Authority};" : "connect-src 'self';",
            csp,
            StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.Equal(path == "/client/relay.js" ? "*" : null, response.Headers.TryGetValues("Access-Control-Allow-Origin", out var acao) ? acao.Single() : null);

        // ETag: 304 with an empty body for a match (strong or weak, or *), 200 otherwise.
        var etag = response.Headers.ETag;
        Assert.NotNull(etag);
        Assert.False(etag.IsWeak);
        foreach (var match in new[] { etag.Tag, $"W/{etag.Tag}", $"\"other\", {etag.Tag}", "*" })
        {
            using var conditional = new HttpRequestMessage(HttpMethod.Get, path);
            conditional.Headers.TryAddWithoutValidation("If-None-Match", match);
            using var notModified = await http.SendAsync(conditional);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
            Assert.Equal(etag, notModified.Headers.ETag);
            Assert.Equal("no-referrer", Single(notModified, "Referrer-Policy"));
        }

        using var stale = new HttpRequestMessage(HttpMethod.Get, path);
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"stale\""));
        using var changed = await http.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(body, await changed.Content.ReadAsByteArrayAsync());

        // HEAD: same headers, no body.
        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(body.Length, head.Content.Headers.ContentLength);
        Assert.Equal(etag, head.Headers.ETag);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());

        // Nothing but GET and HEAD.
        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete })
        {
            using var refused = await http.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent("x") });
            Assert.Equal(HttpStatusCode.MethodNotAllowed, refused.StatusCode);
        }

        // The REST API of the same server still needs its key.
        using var api = await http.GetAsync("/v1/api/summary");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    [Fact]
    public async Task The_page_has_no_inline_script_style_or_handlers_and_imports_the_browser_client()
    {
        var playground = await PageScriptAsync("/", "/playground/playground.js");
        foreach (var forbidden in new[] { "localStorage", "sessionStorage", "document.cookie", "console.log", "console.error", "console.warn", "console.info", "console.debug", "pushState", "replaceState", "location.hash", "location.search", "innerHTML" })
        {
            Assert.DoesNotContain(forbidden, playground, StringComparison.Ordinal);
        }

        var client = await fixture.Open.Http.GetStringAsync("/client/relay.js");
        Assert.DoesNotMatch(ImportStatement(), client);
        Assert.DoesNotMatch(ConsoleCall(), client);
        Assert.True(Encoding.UTF8.GetByteCount(client) < 64 * 1024, "relay.js stays small");
    }

    [Fact]
    public async Task The_monitor_has_no_inline_script_style_or_handlers_and_keeps_the_key_out_of_addresses_and_logs()
    {
        var monitor = await PageScriptAsync("/monitor", "/monitor/monitor.js");
        Assert.DoesNotMatch(ConsoleCall(), monitor);
        // The key lives in this tab's sessionStorage only: never in localStorage, a cookie or an address.
        foreach (var forbidden in new[] { "localStorage", "document.cookie", "pushState", "replaceState", "location.hash", "location.search", "innerHTML", "secret" })
        {
            Assert.DoesNotContain(forbidden, monitor, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>
    /// Checks that the page at <paramref name="page"/> has no inline script, style or handler and loads its one module
    /// <paramref name="script"/>, which imports the browser client; returns the script.
    /// </summary>
    private async Task<string> PageScriptAsync(string page, string script)
    {
        var html = await fixture.Open.Http.GetStringAsync(page);
        Assert.DoesNotMatch(InlineScript(), html);
        Assert.DoesNotMatch(InlineHandler(), html);
        Assert.DoesNotContain(" style=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"<script type=\"module\" src=\"{script}\"></script>", html, StringComparison.Ordinal);

        var code = await fixture.Open.Http.GetStringAsync(script);
        Assert.Contains("from '/client/relay.js'", code, StringComparison.Ordinal);
        return code;
    }

    private static string Single(HttpResponseMessage response, string header) =>
        Assert.Single(response.Headers.TryGetValues(header, out var values) ? values : []);

    /// <summary>A script element without a src attribute.</summary>
    [GeneratedRegex("<script(?![^>]*\\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex("\\son[a-z]+\\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineHandler();

    [GeneratedRegex("\\bconsole\\.[a-z]+\\(")]
    private static partial Regex ConsoleCall();

    [GeneratedRegex("^\\s*import\\s", RegexOptions.Multiline)]
    private static partial Regex ImportStatement();
}
