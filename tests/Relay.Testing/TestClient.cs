using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>
/// A real WebSocket client for tests. A background loop reads every message into an inbox; the Expect
/// methods wait for the next one with a bounded timeout (never a sleep) and fail the test with what came
/// instead.
/// </summary>
public sealed class TestClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly ClientWebSocket _socket;
    private readonly Channel<Received> _inbox = Channel.CreateUnbounded<Received>();
    private readonly TaskCompletionSource<(WebSocketCloseStatus? Status, string? Description)> _closed =
        new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Task _receiveLoop;
    private int _pingCounter;

    private TestClient(ClientWebSocket socket)
    {
        _socket = socket;
        _receiveLoop = Task.Run(ReceiveLoopAsync);
    }

    public ClientWebSocket Socket => _socket;

    /// <summary>The client id from the last `connected`.</summary>
    public int ClientId { get; private set; }

    /// <summary>Completes with the close status once the connection has ended (a close frame or a dropped socket).</summary>
    public Task<(WebSocketCloseStatus? Status, string? Description)> Closed => _closed.Task;

    public static async Task<TestClient> ConnectAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        using var cts = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(uri, cts.Token);
        return new TestClient(socket);
    }

    public Task SendTextAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    /// <summary>Sends <paramref name="message"/> serialised as JSON (property names as given).</summary>
    public Task SendJsonAsync(object message) => SendTextAsync(JsonSerializer.Serialize(message));

    public Task SendBinaryAsync(byte[] bytes) => SendAsync(bytes, WebSocketMessageType.Binary);

    public async Task SendAsync(byte[] bytes, WebSocketMessageType type)
    {
        await _sendLock.WaitAsync();
        try
        {
            using var cts = new CancellationTokenSource(DefaultTimeout);
            await _socket.SendAsync(bytes, type, endOfMessage: true, cts.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The next message, text or binary.</summary>
    public async Task<Received> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            return await _inbox.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"no message within {(timeout ?? DefaultTimeout).TotalSeconds} s");
        }
        catch (ChannelClosedException)
        {
            var (status, description) = await _closed.Task;
            throw new Xunit.Sdk.XunitException($"the connection closed ({(int?)status} {description}) while a message was expected");
        }
    }

    /// <summary>Takes the next message if one has already arrived; never waits.</summary>
    public bool TryReceive([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Received? received) =>
        _inbox.Reader.TryRead(out received);

    /// <summary>The next text message as JSON.</summary>
    public async Task<JsonElement> ReceiveJsonAsync(TimeSpan? timeout = null)
    {
        var received = await ReceiveAsync(timeout);
        Assert.True(received.IsText, $"expected a text message, got {received.Bytes.Length} binary bytes");
        return received.Json;
    }

    /// <summary>The next message, which must be text of <paramref name="type"/>.</summary>
    public async Task<JsonElement> ExpectAsync(string type, TimeSpan? timeout = null)
    {
        var json = await ReceiveJsonAsync(timeout);
        Assert.True(
            json.TryGetProperty("type", out var t) && t.GetString() == type,
            $"expected a {type} message, got {json.GetRawText()}");
        return json;
    }

    /// <summary>The next message, which must be an `error` with <paramref name="code"/>.</summary>
    public async Task<JsonElement> ExpectErrorAsync(string code, TimeSpan? timeout = null)
    {
        var json = await ExpectAsync("error", timeout);
        Assert.Equal(code, json.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("message").GetString()));
        return json;
    }

    /// <summary>The next message, which must be binary.</summary>
    public async Task<byte[]> ExpectBinaryAsync(TimeSpan? timeout = null)
    {
        var received = await ReceiveAsync(timeout);
        Assert.False(received.IsText, $"expected a binary message, got {received.Text}");
        return received.Bytes;
    }

    /// <summary>Sends `connect` and expects `connected`; remembers the client id.</summary>
    public async Task<JsonElement> JoinAsync(string roomId, string secret, string? name = null)
    {
        await SendJsonAsync(name is null
            ? new { type = "connect", roomId, secret }
            : new { type = "connect", roomId, secret, name });
        var connected = await ExpectAsync("connected");
        ClientId = connected.GetProperty("clientId").GetInt32();
        return connected;
    }

    /// <summary>
    /// A barrier: sends `ping` and waits for its `pong`, asserting that nothing else arrived first. Since a
    /// connection's frames leave in the order they were queued, anything queued for this client before the
    /// ping would show up here: use it to prove that a message was NOT delivered.
    /// </summary>
    public async Task AssertNothingPendingAsync()
    {
        var reference = $"barrier-{Interlocked.Increment(ref _pingCounter)}";
        await SendJsonAsync(new { type = "ping", @ref = reference });
        var json = await ReceiveJsonAsync();
        Assert.True(
            json.GetProperty("type").GetString() == "pong" && json.GetProperty("ref").GetString() == reference,
            $"expected nothing before the pong, got {json.GetRawText()}");
    }

    /// <summary>Waits for the server's close and returns its status, skipping messages that arrive before it.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Description)> WaitForCloseAsync(TimeSpan? timeout = null) =>
        await _closed.Task.WaitAsync(timeout ?? DefaultTimeout);

    /// <summary>Closes from the client side with a normal close handshake.</summary>
    public async Task CloseAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var cts = new CancellationTokenSource(DefaultTimeout);
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
            }
            catch (WebSocketException)
            {
            }
        }
    }

    /// <summary>Drops the TCP connection without a close handshake.</summary>
    public void Abort() => _socket.Abort();

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        try
        {
            await _receiveLoop.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }

        _socket.Dispose();
        _sendLock.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _closed.TrySetResult((result.CloseStatus, result.CloseStatusDescription));
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        using var cts = new CancellationTokenSource(DefaultTimeout);
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
                    }

                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    _inbox.Writer.TryWrite(new Received(result.MessageType == WebSocketMessageType.Text, message.ToArray()));
                    message.SetLength(0);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _closed.TrySetResult((_socket.CloseStatus, _socket.CloseStatusDescription ?? ex.Message));
        }
        finally
        {
            _inbox.Writer.TryComplete();
        }
    }
}

/// <summary>One received message.</summary>
public sealed record Received(bool IsText, byte[] Bytes)
{
    /// <summary>
    /// The text with a room event's `seq` field taken out: in a sequenced room (resume on, the default) every room
    /// event carries one, and version 1 clients ignore it; tests that compare a frame byte for byte compare the rest.
    /// </summary>
    public string TextWithoutSeq => SeqField.Replace(Text, string.Empty, 1);

    private static readonly System.Text.RegularExpressions.Regex SeqField = new(",\"seq\":[0-9]+", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));

    public string Text => Encoding.UTF8.GetString(Bytes);

    public JsonElement Json => JsonDocument.Parse(Bytes).RootElement.Clone();
}
