namespace Relay.Api.Security;

/// <summary>
/// A web origin (RFC 6454: scheme, host and port) in one canonical spelling, so that origins compare as
/// strings: lower-case scheme and host (an international host in its ASCII form, an IPv6 host in brackets),
/// the port always written out (a scheme's default port included), no trailing `/`.
/// </summary>
public static class WebOrigin
{
    /// <summary>
    /// Parses <paramref name="value"/> (`https://game.example`, `http://localhost:3000/`, ...); false for anything
    /// that is not an origin: no scheme or host, a path, query, fragment or user name, or the opaque `null`.
    /// </summary>
    public static bool TryNormalize(string? value, out string origin)
    {
        origin = string.Empty;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || uri.HostNameType is UriHostNameType.Unknown or UriHostNameType.Basic
            || uri.AbsolutePath != "/"
            || uri.Query.Length > 0
            || uri.Fragment.Length > 0
            || uri.UserInfo.Length > 0)
        {
            return false;
        }

        origin = Of(uri.Scheme, uri.HostNameType == UriHostNameType.IPv6 ? uri.Host : uri.IdnHost, uri.Port);
        return true;
    }

    /// <summary>The canonical origin of <paramref name="scheme"/>, <paramref name="host"/> and <paramref name="port"/> (-1: none).</summary>
    public static string Of(string scheme, string host, int port)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        ArgumentNullException.ThrowIfNull(host);
        var name = $"{scheme}://{host}".ToLowerInvariant();
        return port < 0 ? name : $"{name}:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    }
}
