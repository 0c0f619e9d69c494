using System.Buffers;
using System.Text;

namespace Relay.Api.Realtime.Upgrade;

/// <summary>What <see cref="UpgradeRequestParser.Parse"/> made of the first bytes of a connection.</summary>
internal enum UpgradeParse
{
    /// <summary>So far the bytes could be a WebSocket upgrade of `/v1/websocket`: read more.</summary>
    NeedMore,

    /// <summary>
    /// Anything else: another request, another protocol (TLS, HTTP/2), or an upgrade the server refuses or that
    /// is not written the plain way this parser reads. Kestrel's HTTP layer gets the bytes and answers it.
    /// </summary>
    NotOurs,

    /// <summary>A complete, valid WebSocket upgrade request for `/v1/websocket`.</summary>
    Upgrade,
}

/// <summary>The parts of a WebSocket upgrade request the server answers from.</summary>
/// <param name="Key">`Sec-WebSocket-Key`, trimmed.</param>
/// <param name="Origin">`Origin`, or empty when there is none.</param>
/// <param name="Extensions">`Sec-WebSocket-Extensions` (several lines joined with ", "), or null.</param>
internal sealed record UpgradeRequest(string Key, string Origin, string? Extensions);

/// <summary>
/// Reads the head of an HTTP/1.1 request from the connection's first bytes and decides whether it is a WebSocket
/// upgrade of `/v1/websocket` that the lean path may answer itself. It is deliberately strict and narrow: only
/// `GET /v1/websocket[?query] HTTP/1.1` with CRLF line ends, plain `name: value` header lines of printable ASCII,
/// exactly one `Host`, `Sec-WebSocket-Key` (base64 of 16 bytes) and `Sec-WebSocket-Version: 13`, an `Upgrade`
/// naming `websocket`, a `Connection` naming `upgrade`, at most one `Origin` and no body. Everything else is
/// <see cref="UpgradeParse.NotOurs"/>: the request goes to Kestrel and the WebSocket endpoint, which answer it
/// (or refuse it) exactly as before, so the lean path never has to produce an error response of its own.
/// </summary>
internal static class UpgradeRequestParser
{
    /// <summary>The longest request head (request line and headers) the lean path reads before giving up.</summary>
    public const int MaxHeadBytes = 16 * 1024;

    private static ReadOnlySpan<byte> RequestLineStart => "GET "u8;

    private static ReadOnlySpan<byte> Path => "/v1/websocket"u8;

    private static ReadOnlySpan<byte> Version => " HTTP/1.1\r\n"u8;

    private static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;

    /// <summary>
    /// Parses <paramref name="buffer"/>, the bytes received so far. On <see cref="UpgradeParse.Upgrade"/>,
    /// <paramref name="headLength"/> is the length of the request head (through its blank line).
    /// </summary>
    public static UpgradeParse Parse(ReadOnlySequence<byte> buffer, out UpgradeRequest? request, out int headLength)
    {
        request = null;
        headLength = 0;
        var prefixLength = RequestLineStart.Length + Path.Length + 1;
        Span<byte> start = stackalloc byte[prefixLength];
        var available = (int)Math.Min(buffer.Length, prefixLength);
        buffer.Slice(0, available).CopyTo(start);
        if (!StartsLikeOurs(start[..available]))
        {
            return UpgradeParse.NotOurs;
        }

        var window = buffer.Length > MaxHeadBytes ? buffer.Slice(0, MaxHeadBytes) : buffer;
        var reader = new SequenceReader<byte>(window);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> head, HeadEnd, advancePastDelimiter: false))
        {
            return buffer.Length >= MaxHeadBytes ? UpgradeParse.NotOurs : UpgradeParse.NeedMore;
        }

        headLength = (int)head.Length + HeadEnd.Length;
        byte[]? rented = null;
        var bytes = head.IsSingleSegment ? head.FirstSpan : Copy(head, out rented);
        try
        {
            request = ReadHead(bytes);
            return request is null ? UpgradeParse.NotOurs : UpgradeParse.Upgrade;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Whether the first bytes are (a prefix of) `GET /v1/websocket` followed by a space or `?`.</summary>
    private static bool StartsLikeOurs(ReadOnlySpan<byte> start)
    {
        var method = RequestLineStart.Length;
        if (!RequestLineStart[..Math.Min(method, start.Length)].SequenceEqual(start[..Math.Min(method, start.Length)]))
        {
            return false;
        }

        if (start.Length <= method)
        {
            return true;
        }

        var path = start[method..];
        var compared = Math.Min(path.Length, Path.Length);
        if (!Ascii.EqualsIgnoreCase(path[..compared], Path[..compared]))
        {
            return false;
        }

        return path.Length <= Path.Length || path[Path.Length] is (byte)' ' or (byte)'?';
    }

    private static ReadOnlySpan<byte> Copy(ReadOnlySequence<byte> head, out byte[] rented)
    {
        rented = ArrayPool<byte>.Shared.Rent((int)head.Length);
        head.CopyTo(rented);
        return rented.AsSpan(0, (int)head.Length);
    }

    /// <summary>The request, or null when the head is not a plain, valid upgrade of `/v1/websocket`.</summary>
    private static UpgradeRequest? ReadHead(ReadOnlySpan<byte> head)
    {
        var lineEnd = head.IndexOf("\r\n"u8);
        var requestLine = lineEnd < 0 ? head : head[..lineEnd];
        if (!IsRequestLine(requestLine))
        {
            return null;
        }

        var fields = new UpgradeFields();
        var rest = lineEnd < 0 ? ReadOnlySpan<byte>.Empty : head[(lineEnd + 2)..];
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf("\r\n"u8);
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? ReadOnlySpan<byte>.Empty : rest[(end + 2)..];
            if (!fields.Add(line))
            {
                return null;
            }
        }

        return fields.ToRequest();
    }

    /// <summary>`GET /v1/websocket[?query] HTTP/1.1` (the start is already known), with a printable query.</summary>
    private static bool IsRequestLine(ReadOnlySpan<byte> line)
    {
        var version = Version[..^2];
        if (!line.EndsWith(version))
        {
            return false;
        }

        var afterPath = line[(RequestLineStart.Length + Path.Length)..^version.Length];
        if (afterPath.IsEmpty)
        {
            return true;
        }

        return afterPath[0] == (byte)'?' && IsPrintable(afterPath) && !afterPath.Contains((byte)' ') && !afterPath.Contains((byte)'#');
    }

    private static bool IsPrintable(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExceptInRange((byte)0x20, (byte)0x7E);

    /// <summary>The header lines that matter, gathered one line at a time.</summary>
    private ref struct UpgradeFields
    {
        private int _hosts;
        private int _keys;
        private int _versions;
        private int _origins;
        private bool _version13;
        private bool _upgradeWebSocket;
        private bool _connectionUpgrade;
        private bool _body;
        private string? _key;
        private string? _origin;
        private string? _extensions;

        /// <summary>False for a line that is not a plain `name: value` header (folded, empty name, control bytes).</summary>
        public bool Add(ReadOnlySpan<byte> line)
        {
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || !IsPrintable(line) || line[0] is (byte)' ' or (byte)'\t')
            {
                return false;
            }

            var name = line[..colon];
            if (name.ContainsAny((byte)' ', (byte)'\t'))
            {
                return false;
            }

            var value = line[(colon + 1)..].Trim((byte)' ');
            if (Ascii.EqualsIgnoreCase(name, "Host"u8))
            {
                _hosts++;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Upgrade"u8))
            {
                _upgradeWebSocket |= HasToken(value, "websocket"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                _connectionUpgrade |= HasToken(value, "upgrade"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Sec-WebSocket-Key"u8))
            {
                _keys++;
                _key = Encoding.ASCII.GetString(value);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Sec-WebSocket-Version"u8))
            {
                _versions++;
                _version13 = value.SequenceEqual("13"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Origin"u8))
            {
                _origins++;
                _origin = Encoding.ASCII.GetString(value);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Sec-WebSocket-Extensions"u8))
            {
                var extensions = Encoding.ASCII.GetString(value);
                _extensions = _extensions is null ? extensions : $"{_extensions}, {extensions}";
            }
            else if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8) || Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                _body = true;
            }

            return true;
        }

        public readonly UpgradeRequest? ToRequest() =>
            _hosts == 1 && _keys == 1 && _versions == 1 && _version13 && _origins <= 1 && _upgradeWebSocket && _connectionUpgrade && !_body
                && IsValidKey(_key!)
                ? new UpgradeRequest(_key!, _origin ?? string.Empty, _extensions)
                : null;

        /// <summary>RFC 6455 4.1: the key is 16 random bytes, base64-encoded.</summary>
        private static bool IsValidKey(string key)
        {
            Span<byte> decoded = stackalloc byte[18];
            return Convert.TryFromBase64String(key, decoded, out var written) && written == 16;
        }

        /// <summary>Whether the comma-separated <paramref name="value"/> lists <paramref name="token"/> (any case).</summary>
        private static bool HasToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
        {
            foreach (var range in value.Split((byte)','))
            {
                if (Ascii.EqualsIgnoreCase(value[range].Trim((byte)' '), token))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
