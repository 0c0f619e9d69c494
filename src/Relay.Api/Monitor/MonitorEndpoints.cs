using Relay.Api.Hosting;

namespace Relay.Api.Monitor;

/// <summary>The monitor page at <c>/monitor</c>: rooms, their members and the server's relay rate, over the REST API.</summary>
/// <remarks>
/// The files are embedded in the assembly (<c>Monitor/Assets</c>) and served from memory by <see cref="EmbeddedAssets"/>.
/// The page itself takes no API key; every call it makes goes to the REST API with the key its user types in. It
/// opens no WebSocket, so its policy's <c>connect-src</c> is <c>'self'</c> alone. It shares the playground's style
/// sheet and icon and imports the browser client for its REST calls.
/// </remarks>
public static class MonitorEndpoints
{
    private const string ResourcePrefix = "RelayMonitor/";

    private static readonly EmbeddedRoute[] Routes =
    [
        new("/monitor", ResourcePrefix + "monitor.html", "text/html; charset=utf-8"),
        new("/monitor/monitor.js", ResourcePrefix + "monitor.js", "text/javascript; charset=utf-8"),
        new("/monitor/monitor.css", ResourcePrefix + "monitor.css", "text/css; charset=utf-8"),
    ];

    /// <summary>Maps the monitor's static files, read (and hashed) once here.</summary>
    public static IEndpointRouteBuilder MapMonitor(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapEmbeddedAssets(Routes, webSockets: false);
}
