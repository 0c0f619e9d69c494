using Relay.Api.Hosting;

namespace Relay.Api.Playground;

/// <summary>The playground page at <c>/</c> and the browser client at <c>/client/relay.js</c>.</summary>
/// <remarks>
/// The files are embedded in the assembly (<c>Playground/Assets</c>, and the browser client from the npm package's
/// <c>clients/js/relay.js</c>) and served from memory by <see cref="EmbeddedAssets"/>, with its caching and security
/// headers; the page's policy lets it open WebSockets to its own host. None of these paths takes an API key.
/// </remarks>
public static class PlaygroundEndpoints
{
    private const string ResourcePrefix = "RelayPlayground/";

    private static readonly EmbeddedRoute[] Routes =
    [
        new("/", ResourcePrefix + "index.html", "text/html; charset=utf-8"),
        // The browser client may be imported by pages of other origins (a module script needs CORS).
        new("/client/relay.js", ResourcePrefix + "relay.js", "text/javascript; charset=utf-8", CrossOrigin: true),
        new("/playground/playground.js", ResourcePrefix + "playground.js", "text/javascript; charset=utf-8"),
        new("/playground/playground.css", ResourcePrefix + "playground.css", "text/css; charset=utf-8"),
        new("/playground/favicon.svg", ResourcePrefix + "favicon.svg", "image/svg+xml"),
    ];

    /// <summary>Maps the playground's static files, read (and hashed) once here.</summary>
    public static IEndpointRouteBuilder MapPlayground(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapEmbeddedAssets(Routes, webSockets: true);
}
