using System.Buffers;
using System.Net.WebSockets;

namespace Relay.Client;

/// <summary>
/// One WebSocket to the server: opening it, sending frames one at a time, the close handshake, and the receive loop
/// that hands on each complete message. It moves bytes only; what the messages mean is the caller's business.
/// </summary>
internal sealed class RealtimeSocket : IDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly RelayRealtimeOptions _options;
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    private RealtimeSocket(ClientWebSocket socket, RelayRealtimeOptions options)
    {
        _socket = socket;
        _options = options;
    }

    public bool IsOpen => _socket.State == WebSocketState.Open;

    /// <summary>Opens a WebSocket to <paramref name="endpoint"/>.</summary>
    /// <exception cref="RelayRealtimeException">The server could not be reached or refused the upgrade (with its HTTP status).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<RealtimeSocket> OpenAsync(Uri endpoint, RelayRealtimeOptions options, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        try
        {
            socket.Options.CollectHttpResponseDetails = true;
            socket.Options.KeepAliveInterval = options.KeepAliveInterval;
            if (options.KeepAliveInterval > TimeSpan.Zero)
            {
                socket.Options.KeepAliveTimeout = options.KeepAliveTimeout;
            }

            options.ConfigureWebSocket?.Invoke(socket.Options);
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return new RealtimeSocket(socket, options);
        }
        catch (WebSocketException ex)
        {
            var status = (int)socket.HttpStatusCode;
            socket.Dispose();
            throw new RelayRealtimeException($"Could not open a WebSocket to {endpoint}: {ex.Message}", ex) { HttpStatusCode = status == 0 ? null : status };
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends one frame, in turn with other sends.</summary>
    /// <exception cref="RelayRealtimeException">The connection failed while sending.</exception>
    public async Task SendAsync(byte[] frame, WebSocketMessageType type, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(frame, type, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
        {
            throw new RelayRealtimeException($"The connection closed while sending: {ex.Message}", ex);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Starts the close handshake (close 1000), or aborts the socket if that fails.</summary>
    public Task CloseAsync() => CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "closed by client");

    /// <summary>
    /// Reads messages until the connection ends, handing each complete one to <paramref name="onMessage"/> (the next is
    /// read once it completes); answers the server's close handshake; returns how the connection ended.
    /// </summary>
    public async Task<SocketEnd> ReceiveAsync(Func<byte[], WebSocketMessageType, ValueTask> onMessage)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var count = 0;
        try
        {
            while (true)
            {
                var window = Math.Min(buffer.Length, _options.MaxReceiveMessageBytes);
                if (count == window)
                {
                    if (window == _options.MaxReceiveMessageBytes)
                    {
                        _socket.Abort();
                        return new SocketEnd(null, null, new RelayRealtimeException($"The server sent a message larger than {_options.MaxReceiveMessageBytes} bytes."));
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _options.MaxReceiveMessageBytes));
                    buffer.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                    continue;
                }

                ValueWebSocketReceiveResult result;
                try
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(count, window - count), CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
                {
                    return new SocketEnd(null, null, ex);
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await AnswerCloseAsync().ConfigureAwait(false);
                    return new SocketEnd((int?)_socket.CloseStatus, _socket.CloseStatusDescription, null);
                }

                count += result.Count;
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var message = buffer.AsSpan(0, count).ToArray();
                count = 0;
                await onMessage(message, result.MessageType).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Abort() => _socket.Abort();

    /// <summary>Disposes the WebSocket (the send lock is left to the collector: a send may still be waiting on it).</summary>
    public void Dispose() => _socket.Dispose();

    /// <summary>Completes the close handshake the server started, echoing its code.</summary>
    private Task AnswerCloseAsync() =>
        _socket.State == WebSocketState.CloseReceived
            ? CloseOutputAsync(_socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, _socket.CloseStatusDescription)
            : Task.CompletedTask;

    /// <summary>Sends a close frame, in turn with other sends and within <see cref="RelayRealtimeOptions.CloseTimeout"/>, or aborts the socket if that fails.</summary>
    private async Task CloseOutputAsync(WebSocketCloseStatus status, string? description)
    {
        using var timeout = new CancellationTokenSource(_options.CloseTimeout);
        try
        {
            await _sendLock.WaitAsync(timeout.Token).ConfigureAwait(false);
            try
            {
                if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(status, description, timeout.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            _socket.Abort();
        }
    }
}

/// <summary>How a connection ended: the server's close code and text when it sent a close frame, else the failure.</summary>
internal sealed record SocketEnd(int? CloseStatus, string? CloseDescription, Exception? Error);
