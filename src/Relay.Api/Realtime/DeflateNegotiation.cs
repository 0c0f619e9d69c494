using System.Net.WebSockets;
using Relay.Api.Configuration;

namespace Relay.Api.Realtime;

/// <summary>
/// Decides, from a handshake's `Sec-WebSocket-Extensions` values, whether the connection uses `permessage-deflate`
/// (RFC 7692), and what the answer says. A pure function of strings, so that any handshake parser can call it with
/// the raw header values. The server takes the first `permessage-deflate` offer whose parameters it can honour and
/// answers it with no context takeover either way (each message compressed on its own, so a relayed message is
/// compressed once for all its recipients, and a connection keeps no compression state):
/// <list type="bullet">
/// <item>`server_no_context_takeover`, `client_no_context_takeover`: accepted (the answer has both anyway);</item>
/// <item>`client_max_window_bits`, with or without a value of 8-15: accepted (the server inflates with any window up
/// to 15 bits, so the answer does not limit it);</item>
/// <item>`server_max_window_bits`: only 15, echoed in the answer (the server's deflater always uses 15 bits);</item>
/// <item>any other parameter, a repeated one or a bad value: that offer is skipped (RFC 7692 section 7).</item>
/// </list>
/// Other extensions are ignored; none is offered back.
/// </summary>
internal static class DeflateNegotiation
{
    public const string ExtensionName = "permessage-deflate";

    /// <summary>The answer to an accepted offer (plus `server_max_window_bits=15` when the offer named it).</summary>
    public const string AcceptedResponse = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

    private const string ServerNoContextTakeover = "server_no_context_takeover";
    private const string ClientNoContextTakeover = "client_no_context_takeover";
    private const string ServerMaxWindowBits = "server_max_window_bits";
    private const string ClientMaxWindowBits = "client_max_window_bits";

    /// <summary>
    /// The `Sec-WebSocket-Extensions` value to answer with, or null to go without compression (it is disabled, or no
    /// offer can be honoured). <paramref name="headerValues"/> are the request's header lines (each a comma-separated
    /// list of offers, in order of preference).
    /// </summary>
    public static string? Negotiate(IEnumerable<string?> headerValues, CompressionOptions options)
    {
        ArgumentNullException.ThrowIfNull(headerValues);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled)
        {
            return null;
        }

        foreach (var value in headerValues)
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

            foreach (var offer in SplitOutsideQuotes(value, ','))
            {
                if (Answer(offer) is { } answer)
                {
                    return answer;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The WebSocket options that go with an accepted offer: inflate what the client sends (any window, no context
    /// kept between messages). The server's own data frames are deflated by <see cref="Relay.Domain.Frames.OutboundFrame"/>.
    /// </summary>
    public static WebSocketDeflateOptions DeflateOptions() => new()
    {
        ClientContextTakeover = false,
        ServerContextTakeover = false,
    };

    /// <summary>The answer to one offer (`name; param; param=value`), or null when it is not one the server takes.</summary>
    private static string? Answer(string offer)
    {
        var parts = SplitOutsideQuotes(offer, ';');
        if (!string.Equals(parts[0].Trim(), ExtensionName, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var echoServerWindow = false;
        for (var i = 1; i < parts.Count; i++)
        {
            var equals = parts[i].IndexOf('=', StringComparison.Ordinal);
            var name = (equals < 0 ? parts[i] : parts[i][..equals]).Trim();
            var value = equals < 0 ? null : Unquote(parts[i][(equals + 1)..].Trim());
            if (!seen.Add(name))
            {
                return null;
            }

            switch (name.ToLowerInvariant())
            {
                case ServerNoContextTakeover or ClientNoContextTakeover when value is null:
                    break;
                case ClientMaxWindowBits when value is null || IsWindowBits(value):
                    break;
                case ServerMaxWindowBits when value == "15":
                    echoServerWindow = true;
                    break;
                default:
                    return null;
            }
        }

        return echoServerWindow ? AcceptedResponse + "; server_max_window_bits=15" : AcceptedResponse;
    }

    /// <summary>RFC 7692 7.1.2: a decimal integer from 8 to 15, without leading zeros.</summary>
    private static bool IsWindowBits(string value) =>
        value is "8" or "9" or "10" or "11" or "12" or "13" or "14" or "15";

    /// <summary>The value of a quoted-string (RFC 7230 3.2.6) without its quotes and escapes, or the token itself.</summary>
    private static string Unquote(string value)
    {
        if (value.Length < 2 || value[0] != '"' || value[^1] != '"')
        {
            return value;
        }

        var unquoted = new System.Text.StringBuilder(value.Length);
        for (var i = 1; i < value.Length - 1; i++)
        {
            // A quoted-pair (`\x`) stands for the character after the backslash.
            if (value[i] == '\\' && i + 1 < value.Length - 1)
            {
                i++;
            }

            unquoted.Append(value[i]);
        }

        return unquoted.ToString();
    }

    /// <summary>Splits <paramref name="text"/> at each <paramref name="separator"/> that is not inside a quoted-string.</summary>
    private static List<string> SplitOutsideQuotes(string text, char separator)
    {
        var parts = new List<string>();
        var start = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted && c == '\\')
            {
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == separator && !quoted)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }

        parts.Add(text[start..]);
        return parts;
    }
}
