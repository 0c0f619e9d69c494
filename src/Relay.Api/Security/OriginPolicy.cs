using System.Collections.Frozen;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Relay.Api.Configuration;

namespace Relay.Api.Security;

/// <summary>
/// Which browser pages may open a WebSocket (`Relay:AllowedOrigins`). Without a list, any. With one: a request
/// without `Origin` (not a browser), a listed origin, or one of the server's own origins, matched on scheme,
/// host and port (see <see cref="WebOrigin"/>). The server's own origins are those of the addresses Kestrel
/// listens on, with `localhost`, `127.0.0.1` and `[::1]` for a loopback or wildcard address: the pages it serves
/// itself (the playground) when it is opened directly. The `Host` header plays no part: a page of a DNS
/// rebinding attacker names its own host there. Behind a reverse proxy the public origin differs from the
/// listening address, so an operator lists it.
/// </summary>
internal sealed class OriginPolicy(IOptions<ApiOptions> options, IServer server)
{
    private static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];

    private readonly FrozenSet<string> _listed = options.Value.AllowedOrigins
        .Select(o => WebOrigin.TryNormalize(o, out var origin) ? origin : null)
        .OfType<string>()
        .ToFrozenSet(StringComparer.Ordinal);

    private FrozenSet<string>? _own;

    public bool IsAllowed(string? origin) =>
        _listed.Count == 0
        || string.IsNullOrEmpty(origin)
        || (WebOrigin.TryNormalize(origin, out var normalized) && (_listed.Contains(normalized) || OwnOrigins().Contains(normalized)));

    /// <summary>The origins of the listening addresses; known once the server has started, which precedes every request.</summary>
    private FrozenSet<string> OwnOrigins()
    {
        if (_own is { } own)
        {
            return own;
        }

        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var origins = addresses.SelectMany(OriginsOf).ToFrozenSet(StringComparer.Ordinal);
        if (addresses.Count > 0)
        {
            _own = origins;
        }

        return origins;
    }

    /// <summary>
    /// The address's own origin; for a loopback address, or one that listens on every address (`0.0.0.0`, `[::]`),
    /// also `localhost`, `127.0.0.1` and `[::1]` on its port.
    /// </summary>
    private static IEnumerable<string> OriginsOf(string address)
    {
        // Kestrel reports a wildcard bind as `http://[::]:port`, but may keep the `*` or `+` it was given.
        var parsable = address.Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal).Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal);
        if (!Uri.TryCreate(parsable, UriKind.Absolute, out var uri) || !WebOrigin.TryNormalize(uri.GetLeftPart(UriPartial.Authority), out var origin))
        {
            return [];
        }

        var loopbackOrAny = uri.IsLoopback
            || (IPAddress.TryParse(uri.IdnHost, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)));
        return loopbackOrAny ? [origin, .. LoopbackHosts.Select(host => WebOrigin.Of(uri.Scheme, host, uri.Port))] : [origin];
    }
}
