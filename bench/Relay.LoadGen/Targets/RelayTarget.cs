using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;

namespace Relay.LoadGen.Targets;

/// <summary>
/// Relay's own protocol: rooms through `POST /v1/api/rooms`, clients over `ws://.../v1/websocket` with
/// `connect` / `broadcast` (text) or `0x00` + payload (binary). The Node `ws` baseline speaks the same
/// subset, so this target drives it too (under the name `node-ws`).
/// </summary>
public sealed class RelayTarget : ITarget
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http;
    private readonly Uri _webSocketUri;
    private readonly SourceBoundInvokers _invokers = new();

    /// <param name="name">`relay` or `node-ws`.</param>
    /// <param name="baseAddress">e.g. `http://127.0.0.1:5000/`.</param>
    /// <param name="apiKey">Sent as `X-Api-Key` when given.</param>
    public RelayTarget(string name, Uri baseAddress, string? apiKey = null)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        Name = name;
        _http = RelayRest.CreateHttpClient(baseAddress, apiKey);

        var ws = new UriBuilder(baseAddress) { Scheme = baseAddress.Scheme == "https" ? "wss" : "ws", Path = "/v1/websocket" };
        _webSocketUri = ws.Uri;
    }

    public string Name { get; }

    public Task<string> CreateRoomAsync(int maxClients, CancellationToken cancellationToken) =>
        RelayRest.CreateRoomAsync(_http, maxClients, cancellationToken);

    public async Task<IBenchClient> ConnectAsync(string room, IPAddress? localAddress, Action<ReadOnlyMemory<byte>, long> onMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = Timeout.InfiniteTimeSpan;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(JoinTimeout);
        try
        {
            await socket.ConnectAsync(_webSocketUri, _invokers.For(localAddress), timeout.Token);
            var connect = RelayRest.ConnectMessage(room);
            await socket.SendAsync(connect, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
            var client = new RelayClient(socket, onMessage);
            await client.WaitForConnectedAsync(timeout.Token);
            client.StartReceiving();
            return client;
        }
        catch
        {
            socket.Abort();
            socket.Dispose();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        _invokers.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>A joined Relay client: one receive loop, one send at a time (the pacer never overlaps sends).</summary>
    private sealed class RelayClient : IBenchClient
    {
        private static ReadOnlySpan<byte> BroadcastPrefix => "{\"type\":\"broadcast\",\"data\":"u8;

        private readonly ClientWebSocket _socket;
        private readonly Action<ReadOnlyMemory<byte>, long> _onMessage;
        private byte[] _receive = new byte[1024];
        private byte[] _send = new byte[256];
        private Task _receiving = Task.CompletedTask;
        private int _errors;
        private volatile bool _disposing;

        public RelayClient(ClientWebSocket socket, Action<ReadOnlyMemory<byte>, long> onMessage)
        {
            _socket = socket;
            _onMessage = onMessage;
        }

        public int Errors => Volatile.Read(ref _errors);

        public ValueTask BroadcastAsync(ReadOnlyMemory<byte> payload, bool binary, CancellationToken cancellationToken)
        {
            int length;
            if (binary)
            {
                length = 1 + payload.Length;
                EnsureSend(length);
                _send[0] = 0x00;
                payload.Span.CopyTo(_send.AsSpan(1));
            }
            else
            {
                length = BroadcastPrefix.Length + payload.Length + 1;
                EnsureSend(length);
                BroadcastPrefix.CopyTo(_send);
                payload.Span.CopyTo(_send.AsSpan(BroadcastPrefix.Length));
                _send[length - 1] = (byte)'}';
            }

            return _socket.SendAsync(
                _send.AsMemory(0, length),
                binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text,
                WebSocketMessageFlags.EndOfMessage,
                cancellationToken);
        }

        /// <summary>Reads until `connected`; an `error` (room full, bad secret, ...) fails the join.</summary>
        public async Task WaitForConnectedAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var (count, type) = await ReceiveMessageAsync(cancellationToken);
                if (type == WebSocketMessageType.Close)
                {
                    throw new WebSocketException($"closed before connected: {_socket.CloseStatus} {_socket.CloseStatusDescription}");
                }

                if (type != WebSocketMessageType.Text)
                {
                    continue;
                }

                var kind = RelayEnvelope.Read(_receive.AsSpan(0, count), out _, out _);
                if (kind == Envelope.Connected)
                {
                    return;
                }

                if (kind == Envelope.Error)
                {
                    throw new InvalidOperationException("join refused: " + Encoding.UTF8.GetString(_receive, 0, count));
                }
            }
        }

        public void StartReceiving() => _receiving = Task.Run(ReceiveLoopAsync);

        public async ValueTask DisposeAsync()
        {
            _disposing = true;
            _socket.Abort();
            try
            {
                await _receiving;
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }

            _socket.Dispose();
        }

        private async Task ReceiveLoopAsync()
        {
            try
            {
                while (true)
                {
                    var (count, type) = await ReceiveMessageAsync(CancellationToken.None);
                    var arrived = Stopwatch.GetTimestamp();
                    if (type == WebSocketMessageType.Close)
                    {
                        if (!_disposing)
                        {
                            Interlocked.Increment(ref _errors);
                        }

                        return;
                    }

                    if (type == WebSocketMessageType.Binary)
                    {
                        if (count >= 4)
                        {
                            _onMessage(_receive.AsMemory(4, count - 4), arrived);
                        }

                        continue;
                    }

                    var kind = RelayEnvelope.Read(_receive.AsSpan(0, count), out var dataStart, out var dataLength);
                    if (kind == Envelope.Message && dataStart >= 0)
                    {
                        _onMessage(_receive.AsMemory(dataStart, dataLength), arrived);
                    }
                    else if (kind == Envelope.Error)
                    {
                        Interlocked.Increment(ref _errors);
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
            {
                if (!_disposing)
                {
                    Interlocked.Increment(ref _errors);
                }
            }
        }

        /// <summary>Reads one whole message into <see cref="_receive"/>, growing it as needed.</summary>
        private async ValueTask<(int Count, WebSocketMessageType Type)> ReceiveMessageAsync(CancellationToken cancellationToken)
        {
            var count = 0;
            while (true)
            {
                if (count == _receive.Length)
                {
                    Array.Resize(ref _receive, _receive.Length * 2);
                }

                var result = await _socket.ReceiveAsync(_receive.AsMemory(count), cancellationToken);
                count += result.Count;
                if (result.EndOfMessage || result.MessageType == WebSocketMessageType.Close)
                {
                    return (count, result.MessageType);
                }
            }
        }

        private void EnsureSend(int length)
        {
            if (_send.Length < length)
            {
                _send = new byte[Math.Max(length, _send.Length * 2)];
            }
        }
    }
}
