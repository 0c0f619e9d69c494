using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>
/// A WebSocket client written by hand over a TCP socket, for what a real client library hides: it sees every frame
/// the server writes, control frames (ping, close) included, and answers nothing on its own (no pong, no close).
/// </summary>
public sealed class RawWebSocket : IAsyncDisposable
{
    public const int Text = 0x1;
    public const int Binary = 0x2;
    public const int Close = 0x8;
    public const int Ping = 0x9;
    public const int Pong = 0xA;

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private RawWebSocket(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>Opens the TCP connection and completes the upgrade to <paramref name="uri"/> (must answer 101).</summary>
    public static async Task<RawWebSocket> ConnectAsync(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var tcp = new TcpClient();
        try
        {
            using var cts = new CancellationTokenSource(TestClient.DefaultTimeout);
            await tcp.ConnectAsync(uri.Host, uri.Port, cts.Token);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }

        var socket = new RawWebSocket(tcp);
        try
        {
            using var cts = new CancellationTokenSource(TestClient.DefaultTimeout);
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            var request =
                $"GET {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
            await socket._stream.WriteAsync(Encoding.ASCII.GetBytes(request), cts.Token);
            var response = await socket.ReadHeadAsync(cts.Token);
            Assert.True(response.StartsWith("HTTP/1.1 101", StringComparison.Ordinal), $"the upgrade was refused: {response}");
            return socket;
        }
        catch
        {
            await socket.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends one masked text frame.</summary>
    public Task SendTextAsync(string text) => SendFrameAsync(Text, Encoding.UTF8.GetBytes(text));

    /// <summary>Sends one masked frame with <paramref name="opcode"/> and FIN set.</summary>
    public async Task SendFrameAsync(int opcode, byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var header = new List<byte> { (byte)(0x80 | opcode) };
        if (payload.Length < 126)
        {
            header.Add((byte)(0x80 | payload.Length));
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            header.Add(0x80 | 126);
            header.Add((byte)(payload.Length >> 8));
            header.Add((byte)payload.Length);
        }
        else
        {
            header.Add(0x80 | 127);
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)payload.Length);
            header.AddRange(length);
        }

        var mask = RandomNumberGenerator.GetBytes(4);
        header.AddRange(mask);
        var masked = new byte[payload.Length];
        for (var i = 0; i < payload.Length; i++)
        {
            masked[i] = (byte)(payload[i] ^ mask[i % 4]);
        }

        using var cts = new CancellationTokenSource(TestClient.DefaultTimeout);
        await _stream.WriteAsync(header.ToArray(), cts.Token);
        await _stream.WriteAsync(masked, cts.Token);
    }

    /// <summary>The next frame the server wrote (opcode and payload); fails after <paramref name="timeout"/> or at the end of the stream.</summary>
    public async Task<(int Opcode, byte[] Payload)> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestClient.DefaultTimeout);
        var head = await ReadExactlyAsync(2, cts.Token);
        Assert.True((head[1] & 0x80) == 0, "a server frame must not be masked");
        long length = head[1] & 0x7F;
        if (length == 126)
        {
            length = BinaryPrimitives.ReadUInt16BigEndian(await ReadExactlyAsync(2, cts.Token));
        }
        else if (length == 127)
        {
            length = (long)BinaryPrimitives.ReadUInt64BigEndian(await ReadExactlyAsync(8, cts.Token));
        }

        return (head[0] & 0x0F, await ReadExactlyAsync((int)length, cts.Token));
    }

    /// <summary>The next frame, which must be a text frame: its text.</summary>
    public async Task<string> ReadTextAsync(TimeSpan? timeout = null)
    {
        var (opcode, payload) = await ReadFrameAsync(timeout);
        Assert.True(opcode == Text, $"expected a text frame, got opcode {opcode}: {Encoding.UTF8.GetString(payload)}");
        return Encoding.UTF8.GetString(payload);
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        try
        {
            await _stream.ReadExactlyAsync(buffer, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException("no frame from the server in time");
        }
        catch (EndOfStreamException)
        {
            throw new Xunit.Sdk.XunitException("the server ended the connection");
        }

        return buffer;
    }

    /// <summary>Reads the HTTP response head byte by byte (nothing past its blank line).</summary>
    private async Task<string> ReadHeadAsync(CancellationToken cancellationToken)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || head[^4] != '\r' || head[^3] != '\n' || head[^2] != '\r' || head[^1] != '\n')
        {
            if (await _stream.ReadAsync(one, cancellationToken) == 0)
            {
                break;
            }

            head.Add(one[0]);
        }

        return Encoding.ASCII.GetString([.. head]);
    }
}
