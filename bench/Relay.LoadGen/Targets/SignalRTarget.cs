using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Relay.LoadGen.Targets;

/// <summary>
/// The SignalR baseline (bench/baselines/signalr) driven through the official SignalR client with the default
/// JSON hub protocol: a room is a SignalR group; clients call <c>Join(room)</c>, then <c>Broadcast(room, byte[])</c>
/// or <c>BroadcastText(room, string)</c>, and receive <c>message(senderId, payload)</c>.
/// </summary>
/// <remarks>
/// In the JSON hub protocol a <c>byte[]</c> travels as a base64 string, so a received payload is a JSON string
/// either way; this target decodes it as base64 once any of its clients has broadcast binary, and as UTF-8 text
/// otherwise. Use one target instance per run and one payload kind at a time (as every workload does).
/// Connections use WebSockets only, without negotiation, each from its own socket bound to the requested local
/// address.
/// </remarks>
public sealed class SignalRTarget : ITarget
{
    private const int PayloadUnknown = 0;
    private const int PayloadText = 1;
    private const int PayloadBinary = 2;

    private readonly Uri _baseAddress;
    private readonly Uri _hubAddress;
    private readonly HttpClient _http;
    private readonly SourceBoundInvokers _invokers = new();
    private int _payloadKind = PayloadUnknown;

    /// <param name="baseAddress">The server's base address, e.g. <c>http://127.0.0.1:5200</c>.</param>
    public SignalRTarget(Uri baseAddress)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        _baseAddress = baseAddress;
        _hubAddress = new Uri(baseAddress, "/relay");
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <inheritdoc />
    public string Name => "signalr";

    /// <inheritdoc />
    public async Task<string> CreateRoomAsync(int maxClients, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync("/v1/api/rooms", new { maxClients }, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        return body.RootElement.GetProperty("id").GetString()
            ?? throw new InvalidOperationException($"{_baseAddress}: room creation returned no id");
    }

    /// <inheritdoc />
    public async Task<IBenchClient> ConnectAsync(string room, IPAddress? localAddress, Action<ReadOnlyMemory<byte>, long> onMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onMessage);
        var invoker = _invokers.For(localAddress);
        var connection = new HubConnectionBuilder()
            .WithUrl(_hubAddress, HttpTransportType.WebSockets, options =>
            {
                options.SkipNegotiation = true;
                options.WebSocketFactory = async (context, ct) =>
                {
                    var socket = new ClientWebSocket();
                    try
                    {
                        await socket.ConnectAsync(ToWebSocketUri(context.Uri), invoker, ct);
                        return socket;
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                };
            })
            .Build();

        var client = new SignalRBenchClient(this, connection, room, onMessage);
        connection.On<string, string>("message", client.OnMessage);
        connection.Closed += client.OnClosed;

        try
        {
            await connection.StartAsync(cancellationToken);
            await connection.InvokeAsync("Join", room, cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        return client;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        _invokers.Dispose();
        return ValueTask.CompletedTask;
    }

    private void NotePayloadKind(bool binary)
    {
        var kind = binary ? PayloadBinary : PayloadText;
        if (Volatile.Read(ref _payloadKind) != kind)
        {
            Volatile.Write(ref _payloadKind, kind);
        }
    }

    private static Uri ToWebSocketUri(Uri uri)
    {
        if (uri.Scheme is "ws" or "wss")
        {
            return uri;
        }
        var builder = new UriBuilder(uri) { Scheme = uri.Scheme == Uri.UriSchemeHttps ? "wss" : "ws" };
        return builder.Uri;
    }

    private sealed class SignalRBenchClient(SignalRTarget target, HubConnection connection, string room, Action<ReadOnlyMemory<byte>, long> onMessage) : IBenchClient
    {
        private byte[] _receive = new byte[256];
        private int _errors;
        private int _disposed;

        public int Errors => Volatile.Read(ref _errors);

        /// <summary>
        /// The <c>message</c> handler. The SignalR client runs a connection's handlers one at a time, so the decode
        /// buffer is reused; like Relay's target, the payload handed on is valid only during the callback.
        /// </summary>
        public void OnMessage(string sender, string payload)
        {
            var arrived = Stopwatch.GetTimestamp();
            int length;
            if (Volatile.Read(ref target._payloadKind) == PayloadBinary)
            {
                EnsureReceive(payload.Length); // base64 decodes to fewer bytes than characters
                if (!Convert.TryFromBase64String(payload, _receive, out length))
                {
                    Interlocked.Increment(ref _errors);
                    return;
                }
            }
            else
            {
                EnsureReceive(Encoding.UTF8.GetMaxByteCount(payload.Length));
                length = Encoding.UTF8.GetBytes(payload, _receive);
            }
            onMessage(_receive.AsMemory(0, length), arrived);
        }

        public async ValueTask BroadcastAsync(ReadOnlyMemory<byte> payload, bool binary, CancellationToken cancellationToken)
        {
            target.NotePayloadKind(binary);
            try
            {
                // SendAsync: fire-and-forget hub invocation (no completion message), awaited until written.
                if (binary)
                {
                    await connection.SendAsync("Broadcast", room, payload.ToArray(), cancellationToken);
                }
                else
                {
                    await connection.SendAsync("BroadcastText", room, Encoding.UTF8.GetString(payload.Span), cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or WebSocketException or HubException)
            {
                // The connection is gone or refused the call: count it; the workload reads Errors.
                Interlocked.Increment(ref _errors);
            }
        }

        public Task OnClosed(Exception? error)
        {
            if (error is not null && Volatile.Read(ref _disposed) == 0)
            {
                Interlocked.Increment(ref _errors);
            }
            return Task.CompletedTask;
        }

        private void EnsureReceive(int length)
        {
            if (_receive.Length < length)
            {
                _receive = new byte[Math.Max(length, _receive.Length * 2)];
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
