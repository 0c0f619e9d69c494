namespace Relay.Client;

/// <summary>Turns a server address into the REST base and the WebSocket endpoint.</summary>
internal static class RelayUris
{
    public const string WebSocketPath = "v1/websocket";

    /// <summary>The server address as an http(s) base ending in '/', so relative paths keep any prefix.</summary>
    public static Uri HttpBase(Uri server)
    {
        if (!server.IsAbsoluteUri)
        {
            throw new ArgumentException("The server address must be absolute, e.g. http://localhost:8080.", nameof(server));
        }

        var builder = new UriBuilder(server) { Query = string.Empty, Fragment = string.Empty };
        builder.Scheme = builder.Scheme switch
        {
            "ws" => Uri.UriSchemeHttp,
            "wss" => Uri.UriSchemeHttps,
            "http" or "https" => builder.Scheme,
            _ => throw new ArgumentException($"Unsupported scheme '{server.Scheme}': use http, https, ws or wss.", nameof(server)),
        };
        if (builder.Uri.IsDefaultPort)
        {
            builder.Port = -1;
        }

        var path = builder.Path;
        if (path.EndsWith("/" + WebSocketPath, StringComparison.Ordinal))
        {
            path = path[..^WebSocketPath.Length];
        }

        builder.Path = path.EndsWith('/') ? path : path + "/";
        return builder.Uri;
    }

    /// <summary>The WebSocket endpoint: ws(s)://host[/prefix]/v1/websocket.</summary>
    public static Uri WebSocket(Uri server)
    {
        var builder = new UriBuilder(new Uri(HttpBase(server), WebSocketPath));
        builder.Scheme = builder.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        if (builder.Uri.IsDefaultPort)
        {
            builder.Port = -1;
        }

        return builder.Uri;
    }
}
