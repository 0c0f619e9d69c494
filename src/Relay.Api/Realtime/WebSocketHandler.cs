using System.Buffers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Relay.Application.Common;
using Relay.Application.Common.Options;
using Relay.Application.Realtime;
using Relay.Application.Realtime.RateLimiting;
using Relay.Domain.Connections;

namespace Relay.Api.Realtime;

/// <summary>
/// `GET /v1/websocket`: checks the origin, upgrades, creates the session and its transport, runs the
/// read loop on the request and the write loop beside it, and turns the end of the connection into a
/// `disconnected` or `timeout` departure.
/// </summary>
internal sealed partial class WebSocketHandler(
    RealtimeDispatcher dispatcher,
    ConnectionRegistry connections,
    RelayStats stats,
    IOptions<RelayOptions> options,
    TimeProvider timeProvider,
    ILogger<WebSocketHandler> logger)
{
    /// <summary>How long a closing connection may take to finish its close handshake before it is aborted.</summary>
    public static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private const int InitialBufferBytes = 4096;
    private readonly RelayOptions _options = options.Value;
    private readonly HashSet<string> _allowedOrigins = new(options.Value.AllowedOrigins.Select(o => o.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "WebSocket upgrade required",
                detail: "Connect to /v1/websocket with a WebSocket client.").ExecuteAsync(context);
            return;
        }

        if (!OriginAllowed(context.Request.Headers.Origin.ToString(), context.Request.Host.Value))
        {
            LogOriginRefused(logger, context.Request.Headers.Origin.ToString());
            await TypedResults.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: "Origin not allowed",
                detail: "This origin is not in Relay:AllowedOrigins.").ExecuteAsync(context);
            return;
        }

        if (!connections.TryReserve(_options.MaxConnections))
        {
            LogConnectionLimit(logger, _options.MaxConnections);
            context.Response.Headers.RetryAfter = "5";
            await TypedResults.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Too many connections",
                detail: $"The server holds its maximum of {_options.MaxConnections} connections (Relay:MaxConnections).").ExecuteAsync(context);
            return;
        }

        try
        {
            await RunConnectionAsync(context);
        }
        finally
        {
            connections.Release();
        }
    }

    private async Task RunConnectionAsync(HttpContext context)
    {
        var lifetime = new ConnectionLifetime(context);
        var (socket, stream) = await AcceptAsync(context, lifetime);
        using var acceptedSocket = socket;
        var id = connections.NextId();
        using var transport = new WebSocketTransport(
            socket,
            stream,
            id,
            new TransportLimits(_options.SendQueue.MaxMessages, _options.SendQueue.MaxBytes, CloseTimeout),
            stats,
            timeProvider,
            logger);
        using var client = new ClientConnection(transport, TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds), timeProvider, logger);
        connections.Add(id, transport);
        stats.RecordConnectionOpened();
        client.StartConnectTimer();
        LogConnected(logger, id);

        var writer = transport.RunWriterAsync();
        var timedOut = false;
        try
        {
            timedOut = await ReadLoopAsync(socket, client, transport);
        }
        finally
        {
            lifetime.ReadFinished = true;

            // Leave the room first, so the others hear of it even if the close below takes a while.
            await dispatcher.HandleDisconnectAsync(client, timedOut, MayResume(socket, transport, timedOut), CancellationToken.None);
            transport.Close(CloseCodes.Normal, string.Empty);
            await writer;
            transport.Abort();
            connections.Remove(id);
            stats.RecordConnectionClosed();
            LogDisconnected(logger, id, timedOut, transport.CloseCode);
        }
    }

    /// <summary>
    /// Completes the WebSocket handshake. On HTTP/1.1 the server's WebSocket runs over a
    /// <see cref="CoalescingStream"/>, so the writer loop can send a batch of frames in one write; elsewhere
    /// (HTTP/2 WebSockets) it falls back to ASP.NET Core's accept and frame-by-frame sends.
    /// </summary>
    private async Task<(WebSocket Socket, CoalescingStream? Stream)> AcceptAsync(HttpContext context, ConnectionLifetime lifetime)
    {
        var keepAlive = TimeSpan.FromSeconds(_options.KeepAliveSeconds);
        var keepAliveTimeout = _options.KeepAliveSeconds > 0 ? keepAlive : Timeout.InfiniteTimeSpan;
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true })
        {
            var accepted = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = keepAlive,
                KeepAliveTimeout = keepAliveTimeout,
            });
            return (accepted, null);
        }

        var headers = context.Response.Headers;
        headers.Connection = HeaderNames.Upgrade;
        headers.Upgrade = "websocket";
        headers.SecWebSocketAccept = AcceptKey(context.Request.Headers.SecWebSocketKey.ToString());
        var opaque = await upgrade.UpgradeAsync();
        var stream = new CoalescingStream(opaque, lifetime.OnStreamDisposed);
        var socket = lifetime.Socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
        {
            IsServer = true,
            KeepAliveInterval = keepAlive,
            KeepAliveTimeout = keepAliveTimeout,
        });
        return (socket, stream);
    }

    /// <summary>RFC 6455: base64 of SHA-1 of the client's key and the protocol's GUID.</summary>
    private static string AcceptKey(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));

    /// <summary>Reads whole messages and dispatches them; returns true when the peer timed out.</summary>
    private async Task<bool> ReadLoopAsync(WebSocket socket, ClientConnection session, WebSocketTransport transport)
    {
        var max = _options.MaxMessageBytes;
        var limiter = new ClientRateLimiter(_options.RateLimit, timeProvider);
        byte[]? buffer = null;
        var count = 0;
        var tooBig = false;
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult result;
                if (buffer is null)
                {
                    // Between messages, wait with a zero-byte read: an idle connection holds no buffer. Reads take no
                    // token (a pending one would hold a registration): closing and aborting end them through
                    // WebSocketTransport.Abort, which aborts the socket.
                    result = await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        transport.CloseAfterPeer();
                        return false;
                    }

                    if (!result.EndOfMessage)
                    {
                        buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
                        continue;
                    }

                    // An empty message: nothing to read.
                }
                else
                {
                    if (count == buffer.Length)
                    {
                        if (count > max)
                        {
                            // Over the limit (already closing with 1009): discard the rest of the message.
                            count = 0;
                        }
                        else
                        {
                            buffer = Grow(buffer, count, Math.Min(buffer.Length * 2, max + 1));
                        }
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        transport.CloseAfterPeer();
                        return false;
                    }

                    count += result.Count;
                    if (count > max && !tooBig)
                    {
                        tooBig = true;
                        LogMessageTooBig(logger, transport.ConnectionId, max);
                        transport.Close(CloseCodes.MessageTooBig, "message too big");
                    }

                    if (!result.EndOfMessage)
                    {
                        continue;
                    }
                }

                if (!transport.IsClosing)
                {
                    var message = buffer is null ? ReadOnlyMemory<byte>.Empty : buffer.AsMemory(0, count);
                    await HandleMessageAsync(session, transport, limiter, message, result.MessageType == WebSocketMessageType.Text);
                }

                count = 0;
                if (buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Nobody here cancelled, yet the socket was aborted under the read: the WebSocket keep-alive
            // gave up on a peer that stopped answering pings (the only other aborts come from closing).
            return !transport.Aborted.IsCancellationRequested && !transport.IsClosing;
        }
        catch (WebSocketException ex)
        {
            var timedOut = IsKeepAliveTimeout(ex);
            if (!timedOut)
            {
                LogReceiveFailed(logger, transport.ConnectionId, ex.WebSocketErrorCode);
            }

            return timedOut;
        }
        catch (IOException)
        {
            return false;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Counts, rate-limits and dispatches one whole message.</summary>
    private async ValueTask HandleMessageAsync(ClientConnection session, WebSocketTransport transport, ClientRateLimiter limiter, ReadOnlyMemory<byte> message, bool isText)
    {
        stats.RecordReceived(message.Length);
        switch (limiter.TryAcquire())
        {
            case RateDecision.Abusive:
                LogRateAbuse(logger, transport.ConnectionId);
                transport.Close(CloseCodes.PolicyViolation, "rate limit exceeded");
                break;
            case RateDecision.Limited:
                dispatcher.RejectRateLimited(session, message, isText);
                break;
            default:
                if (isText)
                {
                    await dispatcher.HandleTextAsync(session, message, transport.Aborted);
                }
                else
                {
                    await dispatcher.HandleBinaryAsync(session, message, transport.Aborted);
                }

                break;
        }
    }

    /// <summary>
    /// Whether the way the connection ended lets a resumable client come back: no close frame (the peer vanished), a
    /// keep-alive timeout, a close 1001 from the client, or the server's slow-consumer close (4004). Any other close
    /// frame from the client, and any other close by the server, ends the client for good.
    /// </summary>
    private static bool MayResume(WebSocket socket, WebSocketTransport transport, bool timedOut)
    {
        if (timedOut)
        {
            return true;
        }

        if (transport.ClosedByPeer)
        {
            return socket.CloseStatus == (WebSocketCloseStatus)CloseCodes.GoingAway;
        }

        return transport.CloseCode == 0 || transport.CloseCode == CloseCodes.SlowConsumer;
    }

    private static bool IsKeepAliveTimeout(WebSocketException ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException)
            {
                return true;
            }
        }

        return false;
    }

    private static byte[] Grow(byte[] buffer, int used, int size)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(size);
        buffer.AsSpan(0, used).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        return bigger;
    }

    /// <summary>
    /// Allowed: no list, no `Origin` (not a browser), a listed origin, or the server's own origin (an `Origin`
    /// naming the very host the request was sent to: the playground and other pages this server serves).
    /// </summary>
    private bool OriginAllowed(string origin, string? host) =>
        _allowedOrigins.Count == 0
        || string.IsNullOrEmpty(origin)
        || _allowedOrigins.Contains(origin.TrimEnd('/'))
        || (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, host, StringComparison.OrdinalIgnoreCase));

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {ConnectionId} opened")]
    private static partial void LogConnected(ILogger logger, long connectionId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {ConnectionId} ended (timed out: {TimedOut}, server close code: {CloseCode})")]
    private static partial void LogDisconnected(ILogger logger, long connectionId, bool timedOut, ushort closeCode);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection {ConnectionId} sent a message over {MaxBytes} bytes: closing with 1009")]
    private static partial void LogMessageTooBig(ILogger logger, long connectionId, int maxBytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {ConnectionId} kept sending over its rate limit: closing with 1008")]
    private static partial void LogRateAbuse(ILogger logger, long connectionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a WebSocket: {MaxConnections} connections are open (Relay:MaxConnections)")]
    private static partial void LogConnectionLimit(ILogger logger, int maxConnections);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a WebSocket from origin {Origin}")]
    private static partial void LogOriginRefused(ILogger logger, string origin);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {ConnectionId} receive failed: {Error}")]
    private static partial void LogReceiveFailed(ILogger logger, long connectionId, WebSocketError error);
}

/// <summary>
/// Aborts the HTTP connection when the WebSocket aborted itself (its keep-alive gave up on the peer) while
/// the read loop was still waiting on it, so that the read ends at once. After the read loop has finished
/// (a close or a protocol error, whose close frame must still reach the peer) it leaves the connection alone.
/// </summary>
internal sealed class ConnectionLifetime(HttpContext context)
{
    public WebSocket? Socket { get; set; }

    private volatile bool _readFinished;

    public bool ReadFinished
    {
        get => _readFinished;
        set => _readFinished = value;
    }

    public void OnStreamDisposed()
    {
        if (!ReadFinished && Socket?.State == WebSocketState.Aborted)
        {
            context.Abort();
        }
    }
}

internal static class WebSocketEndpoint
{
    public const string Path = "/v1/websocket";

    /// <summary>`/v1/websocket` as its own pipeline branch: only the WebSocket middleware and the handler.</summary>
    public static IApplicationBuilder MapRelayWebSocket(this IApplicationBuilder app)
    {
        var handler = app.ApplicationServices.GetRequiredService<WebSocketHandler>();
        return app.Map(Path, branch =>
        {
            branch.UseWebSockets();
            branch.Run(handler.HandleAsync);
        });
    }
}
