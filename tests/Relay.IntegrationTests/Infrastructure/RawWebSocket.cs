using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>
/// A WebSocket client written by hand over TCP (RFC 6455), for tests that must do what a client library
/// refuses to: send any handshake (other HTTP versions, paths, `Host` and `Origin` headers), unmasked frames,
/// invalid UTF-8, a frame header declaring more than it delivers; and see every byte the server sends, its
/// close frame and whatever follows it included.
/// </summary>
public sealed class RawWebSocket : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private static readonly byte[] Mask = [0x37, 0xfa, 0x21, 0x3d];

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawWebSocket(TcpClient tcp, int statusCode, IReadOnlyDictionary<string, string> headers)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        StatusCode = statusCode;
        Headers = headers;
    }

    /// <summary>The HTTP status of the handshake answer: 101 when the server upgraded.</summary>
    public int StatusCode { get; private set; }

    /// <summary>The handshake answer's headers (names case-insensitive; repeated headers joined with ", ").</summary>
    public IReadOnlyDictionary<string, string> Headers { get; private set; }

    /// <summary>
    /// Opens a TCP connection to <paramref name="server"/> and sends a WebSocket upgrade request: by default a valid
    /// one for `/v1/websocket`; <paramref name="extraHeaders"/> are added, each replacing the default header of its name.
    /// </summary>
    public static Task<RawWebSocket> ConnectAsync(
        Uri server,
        string target = "/v1/websocket",
        string httpVersion = "HTTP/1.1",
        params (string Name, string Value)[] extraHeaders) =>
        ConnectAsync(server, target, httpVersion, new RawHandshake(), extraHeaders);

    /// <summary>
    /// As <see cref="ConnectAsync(Uri, string, string, ValueTuple{string, string}[])"/> for `/v1/websocket`, with the
    /// request delivered as <paramref name="delivery"/> says (after another request, in small pieces, with bytes after it).
    /// </summary>
    public static Task<RawWebSocket> ConnectAsync(Uri server, RawHandshake delivery, params (string Name, string Value)[] extraHeaders) =>
        ConnectAsync(server, "/v1/websocket", "HTTP/1.1", delivery, extraHeaders);

    private static async Task<RawWebSocket> ConnectAsync(
        Uri server,
        string target,
        string httpVersion,
        RawHandshake delivery,
        (string Name, string Value)[] extraHeaders)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(extraHeaders);
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            using var cts = new CancellationTokenSource(DefaultTimeout);
            await tcp.ConnectAsync(server.Host, server.Port, cts.Token);
            var raw = new RawWebSocket(tcp, 0, new Dictionary<string, string>());
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            var headers = new List<(string Name, string Value)>
            {
                ("Host", server.Authority),
                ("Upgrade", "websocket"),
                ("Connection", "Upgrade"),
                ("Sec-WebSocket-Key", key),
                ("Sec-WebSocket-Version", "13"),
            };
            foreach (var (name, value) in extraHeaders)
            {
                headers.RemoveAll(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase));
                headers.Add((name, value));
            }

            var request = new StringBuilder($"GET {target} {httpVersion}\r\n");
            foreach (var (name, value) in headers)
            {
                request.Append(name).Append(": ").Append(value).Append("\r\n");
            }

            request.Append("\r\n");
            if (delivery.Before is { } before)
            {
                await raw._stream.WriteAsync(Encoding.ASCII.GetBytes(before), cts.Token);
                await raw.ReadResponseHeadAsync(cts.Token);
                if (!before.StartsWith("HEAD ", StringComparison.Ordinal))
                {
                    await raw.SkipBodyAsync(cts.Token);
                }
            }

            var bytes = Encoding.ASCII.GetBytes(request.ToString()).Concat(delivery.After ?? []).ToArray();
            for (var sent = 0; sent < bytes.Length; sent += delivery.ChunkBytes)
            {
                await raw._stream.WriteAsync(bytes.AsMemory(sent, Math.Min(delivery.ChunkBytes, bytes.Length - sent)), cts.Token);
            }

            await raw.ReadResponseHeadAsync(cts.Token);
            if (raw.StatusCode == 101)
            {
                Assert.Equal(ExpectedAccept(key), raw.Headers.GetValueOrDefault("Sec-WebSocket-Accept"));
            }

            return raw;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>RFC 6455 4.2.2: base64 of SHA-1 of the key and the protocol's GUID.</summary>
    public static string ExpectedAccept(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));

    public Task SendTextAsync(string text) => SendFrameAsync(RawOpcode.Text, Encoding.UTF8.GetBytes(text));

    /// <summary>Sends one frame. <paramref name="masked"/>: false breaks RFC 6455 5.1 (a client must mask).</summary>
    public Task SendFrameAsync(int opcode, ReadOnlyMemory<byte> payload, bool fin = true, bool masked = true) =>
        SendRawAsync(ClientFrame(opcode, payload, fin, masked));

    /// <summary>The wire bytes of one client frame (masked unless <paramref name="masked"/> is false).</summary>
    public static byte[] ClientFrame(int opcode, ReadOnlyMemory<byte> payload, bool fin = true, bool masked = true)
    {
        var header = FrameHeader(opcode, payload.Length, fin, masked);
        var frame = new byte[header.Length + payload.Length];
        header.CopyTo(frame, 0);
        payload.Span.CopyTo(frame.AsSpan(header.Length));
        if (masked)
        {
            for (var i = 0; i < payload.Length; i++)
            {
                frame[header.Length + i] ^= Mask[i % 4];
            }
        }

        return frame;
    }

    /// <summary>
    /// Sends only the header of a masked frame declaring <paramref name="declaredLength"/> payload bytes, with an
    /// all-zero mask so that the payload can follow as plain bytes through <see cref="SendRawAsync"/>.
    /// </summary>
    public Task SendFrameHeaderAsync(int opcode, long declaredLength, bool fin = true)
    {
        var header = FrameHeader(opcode, declaredLength, fin, masked: true);
        header.AsSpan(header.Length - 4).Clear();
        return SendRawAsync(header);
    }

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        using var cts = new CancellationTokenSource(DefaultTimeout);
        await _stream.WriteAsync(bytes, cts.Token);
    }

    /// <summary>The next frame the server sent, or null when the connection ended (closed or reset).</summary>
    public async Task<RawFrame?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            if (!await FillAsync(2, cts.Token))
            {
                return null;
            }

            var first = _buffer[_start];
            var second = _buffer[_start + 1];
            var length = (long)(second & 0x7f);
            var headerLength = 2 + (length == 126 ? 2 : length == 127 ? 8 : 0) + ((second & 0x80) != 0 ? 4 : 0);
            if (!await FillAsync(headerLength, cts.Token))
            {
                return null;
            }

            length = length switch
            {
                126 => BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(_start + 2)),
                127 => (long)BinaryPrimitives.ReadUInt64BigEndian(_buffer.AsSpan(_start + 2)),
                _ => length,
            };
            Assert.True((second & 0x80) == 0, "the server sent a masked frame");
            Assert.True(length <= _buffer.Length - headerLength, $"a frame of {length} bytes is larger than this test client reads");
            if (!await FillAsync(headerLength + (int)length, cts.Token))
            {
                return null;
            }

            var payload = _buffer.AsSpan(_start + headerLength, (int)length).ToArray();
            _start += headerLength + (int)length;
            return new RawFrame((first & 0x80) != 0, first & 0x0f, payload) { Rsv1 = (first & 0x40) != 0 };
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"no frame within {(timeout ?? DefaultTimeout).TotalSeconds} s");
        }
    }

    /// <summary>The next frame, which must be a text frame; its text.</summary>
    public async Task<string> ReadTextAsync(TimeSpan? timeout = null)
    {
        var frame = await ReadFrameAsync(timeout);
        Assert.True(frame is { Opcode: RawOpcode.Text }, $"expected a text frame, got {frame?.ToString() ?? "the end of the connection"}");
        return frame!.Text;
    }

    /// <summary>Every frame the server sends from now until it ends the connection.</summary>
    public async Task<IReadOnlyList<RawFrame>> ReadToEndAsync(TimeSpan? timeout = null)
    {
        var frames = new List<RawFrame>();
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (await ReadFrameAsync(deadline - DateTime.UtcNow) is { } frame)
        {
            frames.Add(frame);
        }

        return frames;
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }

    private static byte[] FrameHeader(int opcode, long length, bool fin, bool masked)
    {
        var extended = length < 126 ? 0 : length <= ushort.MaxValue ? 2 : 8;
        var header = new byte[2 + extended + (masked ? 4 : 0)];
        header[0] = (byte)((fin ? 0x80 : 0) | opcode);
        var lengthCode = extended == 0 ? (int)length : extended == 2 ? 126 : 127;
        header[1] = (byte)((masked ? 0x80 : 0) | lengthCode);
        if (extended == 2)
        {
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)length);
        }
        else if (extended == 8)
        {
            BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(2), (ulong)length);
        }

        if (masked)
        {
            Mask.CopyTo(header, 2 + extended);
        }

        return header;
    }

    private async Task ReadResponseHeadAsync(CancellationToken cancellationToken)
    {
        int end;
        while ((end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
        {
            Assert.True(await FillAsync(_end - _start + 1, cancellationToken), "the server ended the connection before answering the handshake");
        }

        var lines = Encoding.ASCII.GetString(_buffer, _start, end).Split("\r\n");
        _start += end + 4;
        StatusCode = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var (name, value) = (line[..colon].Trim(), line[(colon + 1)..].Trim());
            headers[name] = headers.TryGetValue(name, out var earlier) ? $"{earlier}, {value}" : value;
        }

        Headers = headers;
    }

    /// <summary>Reads and drops the body of the answer just read, as long as its `Content-Length` says (a chunked body is not read).</summary>
    private async Task SkipBodyAsync(CancellationToken cancellationToken)
    {
        var length = int.Parse(Headers.GetValueOrDefault("Content-Length", "0"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(await FillAsync(length, cancellationToken), "the server ended the connection within an answer's body");
        _start += length;
    }

    /// <summary>Reads until at least <paramref name="count"/> unread bytes are buffered; false at the end of the connection.</summary>
    private async Task<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        while (_end < count)
        {
            int read;
            try
            {
                read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            }
            catch (IOException)
            {
                // Reset by the server: the connection has ended.
                return false;
            }

            if (read == 0)
            {
                return false;
            }

            _end += read;
        }

        return true;
    }
}

/// <summary>How <see cref="RawWebSocket"/> delivers its upgrade request.</summary>
/// <param name="Before">A whole request sent first on the same connection, whose answer is read and dropped (a `HEAD`, or one answered with a `Content-Length`).</param>
/// <param name="ChunkBytes">The request goes out in writes of at most this many bytes.</param>
/// <param name="After">Bytes sent right behind the request, before the answer (a client frame, say).</param>
public sealed record RawHandshake(string? Before = null, int ChunkBytes = int.MaxValue, byte[]? After = null);

/// <summary>RFC 6455 frame opcodes.</summary>
public static class RawOpcode
{
    public const int Continuation = 0x0;
    public const int Text = 0x1;
    public const int Binary = 0x2;
    public const int Close = 0x8;
    public const int Ping = 0x9;
    public const int Pong = 0xA;
}

/// <summary>One frame as the server sent it.</summary>
public sealed record RawFrame(bool Fin, int Opcode, byte[] Payload)
{
    /// <summary>RSV1: with `permessage-deflate` negotiated, the message is compressed (RFC 7692 6).</summary>
    public bool Rsv1 { get; init; }

    public string Text => Encoding.UTF8.GetString(Payload);

    /// <summary>The status code of a close frame (1005 when it carries none).</summary>
    public int CloseCode => Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : 1005;

    public override string ToString() => Opcode switch
    {
        RawOpcode.Text => $"text {Text}",
        RawOpcode.Close => $"close {CloseCode}",
        _ => $"opcode {Opcode}, {Payload.Length} bytes",
    };
}
