using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Relay.LoadGen.Raw;

namespace Relay.LoadGen.Targets;

/// <summary>
/// Relay's protocol (and the Node baseline's, which speaks the same subset) over raw sockets
/// (<c>--client raw</c>): rooms through REST as in <see cref="RelayTarget"/>, but each client is a plain TCP
/// socket upgraded by a hand-written HTTP/1.1 handshake and then served, with all the others, by a few
/// <see cref="SocketLoop"/> threads (one by default) instead of a <c>ClientWebSocket</c> and a receive task each.
/// See <see cref="RawRelayClient"/> for the frames.
/// </summary>
public sealed class RawRelayTarget : ITarget, IReceiveCounters
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http;
    private readonly Uri _baseAddress;
    private readonly SocketLoop[] _loops;
    private IPEndPoint? _endPoint;
    private int _next = -1;

    /// <param name="name">`relay` or `node-ws`.</param>
    /// <param name="baseAddress">e.g. `http://127.0.0.1:5000/`.</param>
    /// <param name="apiKey">Sent as `X-Api-Key` when given.</param>
    /// <param name="loops">Receive loop threads (clients are spread over them round robin).</param>
    public RawRelayTarget(string name, Uri baseAddress, string? apiKey = null, int loops = 1)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        if (baseAddress.Scheme != Uri.UriSchemeHttp)
        {
            throw new ArgumentException("the raw-socket client speaks plain http/ws only", nameof(baseAddress));
        }

        Name = name;
        _baseAddress = baseAddress;
        _http = RelayRest.CreateHttpClient(baseAddress, apiKey);
        _loops = [.. Enumerable.Range(0, Math.Max(1, loops)).Select(i => new SocketLoop($"raw-loop-{i}"))];
    }

    public string Name { get; }

    /// <inheritdoc />
    public (long Reads, long Frames, long Bytes) ReceiveCounters
    {
        get
        {
            long reads = 0, frames = 0, bytes = 0;
            foreach (var loop in _loops)
            {
                var c = loop.Counters;
                reads += c.Reads;
                frames += c.Frames;
                bytes += c.Bytes;
            }

            return (reads, frames, bytes);
        }
    }

    public Task<string> CreateRoomAsync(int maxClients, CancellationToken cancellationToken) =>
        RelayRest.CreateRoomAsync(_http, maxClients, cancellationToken);

    /// <summary>
    /// Joins on a thread of its own with blocking calls (so that .NET's socket engine never registers the
    /// socket: its epoll thread would otherwise wake on every arrival), then hands the socket to a loop.
    /// </summary>
    public async Task<IBenchClient> ConnectAsync(string room, IPAddress? localAddress, Action<ReadOnlyMemory<byte>, long> onMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        var endPoint = _endPoint ??= await ResolveAsync(_baseAddress, cancellationToken);
        var loop = _loops[(int)((uint)Interlocked.Increment(ref _next) % (uint)_loops.Length)];
        return await Task.Factory.StartNew(
            () => Join(endPoint, room, localAddress, onMessage, loop, cancellationToken),
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        foreach (var loop in _loops)
        {
            loop.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private IBenchClient Join(IPEndPoint endPoint, string room, IPAddress? localAddress, Action<ReadOnlyMemory<byte>, long> onMessage, SocketLoop loop, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            ReceiveTimeout = (int)JoinTimeout.TotalMilliseconds,
            SendTimeout = (int)JoinTimeout.TotalMilliseconds,
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(JoinTimeout);
        using var abort = timeout.Token.Register(static s => ((Socket)s!).Dispose(), socket);
        try
        {
            if (localAddress is not null)
            {
                socket.Bind(new IPEndPoint(localAddress, 0));
            }

            socket.Connect(endPoint);
            var buffer = new byte[16 * 1024];
            var (headerEnd, count) = Upgrade(socket, buffer);
            var client = new RawRelayClient(socket, onMessage);
            if (!client.Parse(buffer, headerEnd, count - headerEnd))
            {
                throw new IOException("join: the server sent bytes that are not WebSocket frames");
            }

            client.SendFrame(WsFrame.Text, RelayRest.ConnectMessage(room));
            while (!client.Joined)
            {
                if (client.JoinFailure is { } failure)
                {
                    throw new InvalidOperationException(failure);
                }

                var n = socket.Receive(buffer);
                if (n == 0)
                {
                    throw new IOException("closed before connected");
                }

                if (!client.Parse(buffer, 0, n))
                {
                    throw new IOException("join: the server sent bytes that are not WebSocket frames");
                }
            }

            socket.Blocking = false;
            loop.Add(client);
            return client;
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException && timeout.IsCancellationRequested)
        {
            socket.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"join did not complete within {JoinTimeout.TotalSeconds} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The HTTP/1.1 upgrade by hand: sends the request, reads the response head into <paramref name="buffer"/>
    /// and checks the status and the accept key. Returns where the frames start and how much was read.
    /// </summary>
    private (int HeaderEnd, int Count) Upgrade(Socket socket, byte[] buffer)
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var request = $"GET /v1/websocket HTTP/1.1\r\nHost: {_baseAddress.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        socket.Send(Encoding.ASCII.GetBytes(request));
        var count = 0;
        int end;
        while ((end = buffer.AsSpan(0, count).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (count == buffer.Length)
            {
                throw new IOException("upgrade: response head too large");
            }

            var n = socket.Receive(buffer.AsSpan(count));
            if (n == 0)
            {
                throw new IOException("upgrade: closed during the handshake");
            }

            count += n;
        }

        var head = Encoding.ASCII.GetString(buffer, 0, end);
        var lines = head.Split("\r\n");
        if (!lines[0].StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
        {
            throw new IOException($"upgrade refused: {lines[0]}");
        }

        var accept = lines.Skip(1)
            .Select(l => l.Split(':', 2))
            .FirstOrDefault(p => p.Length == 2 && p[0].Trim().Equals("Sec-WebSocket-Accept", StringComparison.OrdinalIgnoreCase))?[1].Trim();
        if (accept != WsFrame.AcceptKey(key))
        {
            throw new IOException("upgrade: wrong or missing Sec-WebSocket-Accept");
        }

        return (end + 4, count);
    }

    private static async Task<IPEndPoint> ResolveAsync(Uri uri, CancellationToken cancellationToken)
    {
        var address = IPAddress.TryParse(uri.Host, out var parsed)
            ? parsed
            : (await Dns.GetHostAddressesAsync(uri.DnsSafeHost, cancellationToken)).First(a => a.AddressFamily == AddressFamily.InterNetwork);
        return new IPEndPoint(address, uri.Port);
    }
}

/// <summary>A target whose clients count their reads: how many frames each large read held.</summary>
public interface IReceiveCounters
{
    /// <summary>Reads, frames and bytes received so far, all clients together.</summary>
    (long Reads, long Frames, long Bytes) ReceiveCounters { get; }
}
