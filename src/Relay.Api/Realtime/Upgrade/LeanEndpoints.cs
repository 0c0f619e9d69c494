using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Relay.Api.Realtime.Upgrade;

/// <summary>
/// Which of Kestrel's endpoints the lean path may serve: the plain HTTP ones, never a TLS one (a WebSocket upgrade
/// sent in the clear to a TLS port must not be answered). Kestrel builds each endpoint's connection pipeline, where
/// <see cref="Note"/> sees its final settings, before it binds the endpoint, where <see cref="IsPlain"/> is asked.
/// Endpoints are told apart by port, so a TLS endpoint makes its port TLS for every address.
/// </summary>
internal sealed class LeanEndpoints
{
    private readonly Lock _gate = new();
    private readonly HashSet<int> _plain = [];
    private readonly HashSet<int> _tls = [];

    /// <summary>Notes an endpoint whose connection pipeline is being built; true when it is plain HTTP.</summary>
    public bool Note(ListenOptions endpoint)
    {
        // ListenOptions names its scheme from its own settings: "https://..." once UseHttps has been applied.
        var tls = $"{endpoint}".StartsWith("https:", StringComparison.OrdinalIgnoreCase);
        if (endpoint.EndPoint is IPEndPoint ip)
        {
            lock (_gate)
            {
                (tls ? _tls : _plain).Add(ip.Port);
            }
        }

        return !tls;
    }

    /// <summary>Whether <paramref name="endpoint"/>, about to be bound, belongs to plain HTTP endpoints only.</summary>
    public bool IsPlain(EndPoint endpoint)
    {
        if (endpoint is not IPEndPoint ip)
        {
            return false;
        }

        lock (_gate)
        {
            return _plain.Contains(ip.Port) && !_tls.Contains(ip.Port);
        }
    }
}
