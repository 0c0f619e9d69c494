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
using Relay.Api.Configuration;
using Relay.Api.Security;
using Relay.Domain.Connections;
using Relay.Domain.Frames;

namespace Relay.Api.Realtime;

/// <summary>
/// `GET /v1/websocket`: checks the handshake and the origin, upgrades, creates the client connection and its
/// transport, runs the read loop on the request and the write loop beside it, and turns the end of the connection
/// into a `disconnected` or `timeout` departure (or, for a resumable client that dropped, an away seat).
/// </summary>
internal sealed partial class WebSocketHandler(
    RealtimeDispatcher dispatcher,
    ConnectionRegistry connections,
    RelayStats stats,
    OriginPolicy origins,
    UnexpectedFailureLog failures,
    IOptions<ApiOptions> options,
    IOptions<RelayOptions> relayOptions,
    IHostApplicationLifetime application,
    TimeProvider timeProvider,
    ILogger<WebSocketHandler> logger)
{
    /// <summary>How long a closing connection may take to finish its close handshake before it is aborted.</summary>
    public static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The only WebSocket version there is (RFC 6455).</summary>
    private const string WebSocketVersion = "13";

    private readonly ApiOptions _options = options.Value;
    private readonly RateLimitOptions _rateLimit = relayOptions.Value.RateLimit;
    private readonly FrameCompression _compression = new(options.Value.Compression.MinBytes, options.Value.Compression.Level);

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var upgradeToWebSocket = request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase);
        if (upgradeToWebSocket && HttpProtocol.IsHttp10(request.Protocol))
        {
            await TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "HTTP/1.1 required",
                detail: "A WebSocket upgrade needs HTTP/1.1 (RFC 6455 4.1).").ExecuteAsync(context);
            return;
        }

        if (upgradeToWebSocket && request.Headers.SecWebSocketVersion.Count > 0 && request.Headers.SecWebSocketVersion != WebSocketVersion)
        {
            // RFC 6455 4.4: name the version this server speaks.
            context.Response.Headers.SecWebSocketVersion = WebSocketVersion;
            await TypedResults.Problem(
                statusCode: StatusCodes.Status426UpgradeRequired,
                title: "Unsupported WebSocket version",
                detail: $"This server speaks WebSocket version {WebSocketVersion} (RFC 6455).").ExecuteAsync(context);
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            await TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "WebSocket upgrade required",
                detail: "Connect to /v1/websocket with a WebSocket client.").ExecuteAsync(context);
            return;
        }

        var origin = request.Headers.Origin.ToString();
        if (!origins.IsAllowed(origin))
        {
            LogOriginRefused(logger, origin);
            await TypedResults.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: "Origin not allowed",
                detail: "This origin is not in Relay:AllowedOrigins.").ExecuteAsync(context);
            return;
        }

        if (application.ApplicationStopping.IsCancellationRequested)
        {
            // The shutdown has begun (and has already closed every open connection): a new one would only be
            // closed again, or keep the shutdown waiting. Another node, or this one restarted, takes it.
            context.Response.Headers.RetryAfter = "5";
            await TypedResults.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Shutting down",
                detail: "The server is shutting down and accepts no new connections.").ExecuteAsync(context);
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
            var lifetime = new ConnectionLifetime(context.Abort);
            var (socket, stream, compression) = await AcceptAsync(context, lifetime);
            using var acceptedSocket = socket;
            await ServeAsync(socket, stream, lifetime, compression);
        }
        finally
        {
            connections.Release();
        }
    }

    /// <summary>
    /// For the lean upgrade path (<see cref="Upgrade.LeanUpgrade"/>): whether a valid upgrade from
    /// <paramref name="origin"/> would be accepted now (allowed origin, no shutdown under way), and if so a reserved
    /// connection slot, which <see cref="ServeUpgradedAsync"/> releases. False changes nothing: the request then
    /// goes on to <see cref="HandleAsync"/>, which answers it with the same checks and their error responses.
    /// </summary>
    internal bool TryAdmit(string origin) =>
        origins.IsAllowed(origin)
        && !application.ApplicationStopping.IsCancellationRequested
        && connections.TryReserve(_options.MaxConnections);

    /// <summary>Gives back the slot <see cref="TryAdmit"/> reserved, for a connection that went before it was served.</summary>
    internal void ReleaseAdmission() => connections.Release();

    /// <summary>
    /// Runs a connection that the lean upgrade path admitted (<see cref="TryAdmit"/>) and answered with 101:
    /// the server's WebSocket over <paramref name="opaque"/>, the connection's own stream, to its end, when the
    /// connection slot is given back. It adds no level of its own to the connection's chain of awaits (each one
    /// would be kept for the connection's whole life): the slot is released by <see cref="ServeAsync"/>.
    /// </summary>
    /// <param name="opaque">The upgraded connection's byte stream.</param>
    /// <param name="abort">Aborts the underlying connection.</param>
    /// <param name="compressed">Whether the 101 accepted `permessage-deflate` (<see cref="NegotiateCompression"/>).</param>
    /// <param name="ownsConnection">
    /// Whether nobody else waits on the connection (the lean listener's own sockets): then <paramref name="abort"/>
    /// also closes it at the end, and a fault nobody foresaw is reported here instead of being left to Kestrel.
    /// </param>
    internal Task ServeUpgradedAsync(Stream opaque, Action abort, bool compressed, bool ownsConnection = false)
    {
        WebSocket socket;
        CoalescingStream stream;
        FrameCompression? compression;
        ConnectionLifetime lifetime;
        try
        {
            lifetime = new ConnectionLifetime(abort);
            (socket, stream, compression) = CreateServerSocket(opaque, lifetime, compressed);
        }
        catch
        {
            connections.Release();
            throw;
        }

        return ServeAsync(socket, stream, lifetime, compression, ownsConnection ? ServeEnd.ReleaseAndClose : ServeEnd.Release);
    }

    /// <summary>What <see cref="ServeAsync"/> does at the end besides ending the session.</summary>
    internal enum ServeEnd
    {
        /// <summary>Nothing: the caller holds the connection slot and the connection.</summary>
        None,

        /// <summary>Gives back the connection slot.</summary>
        Release,

        /// <summary>Gives back the connection slot, closes the connection (its lifetime's abort) and reports a fault nobody foresaw.</summary>
        ReleaseAndClose,
    }

    /// <summary>
    /// Runs one accepted connection to its end: registers it, reads and dispatches its messages while its writer
    /// runs, and then, whatever failed on the way, takes it out of its room, ends the writer and unregisters it.
    /// </summary>
    /// <param name="socket">The server's WebSocket.</param>
    /// <param name="stream">The coalescing stream under <paramref name="socket"/>, or null to send frame by frame.</param>
    /// <param name="lifetime">Told when the read loop is over; null when there is no HTTP connection to abort.</param>
    /// <param name="compression">How data frames are compressed when the connection negotiated `permessage-deflate`, else null.</param>
    /// <param name="ending">What else to do once the connection has ended.</param>
    internal async Task ServeAsync(WebSocket socket, CoalescingStream? stream, ConnectionLifetime? lifetime, FrameCompression? compression = null, ServeEnd ending = ServeEnd.None)
    {
        var id = connections.NextId();
        try
        {
            using var transport = new WebSocketTransport(
                socket,
                stream,
                id,
                new TransportLimits(_options.SendQueue.MaxMessages, _options.SendQueue.MaxBytes, CloseTimeout),
                stats,
                timeProvider,
                logger,
                compression);
            using var client = new ClientConnection(transport, TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds), timeProvider, logger);
            connections.Add(id, transport);
            stats.RecordConnectionOpened();
            var end = ReadEnd.Dropped;
            try
            {
                client.StartConnectTimer();
                LogConnected(logger, id);
                var writer = transport.RunWriterAsync();
                if (application.ApplicationStopping.IsCancellationRequested)
                {
                    // Upgraded just as the shutdown began, after it closed the open connections: this one goes too.
                    transport.Close(CloseCodes.GoingAway, "server shutting down");
                }

                try
                {
                    end = await ReadLoopAsync(socket, client, transport);
                }
                finally
                {
                    // Read before the transport's own close below: how the connection ended decides whether a resumable
                    // client may come back.
                    var mayResume = MayResume(end, transport.CloseCode, socket.CloseStatus);

                    // The client closed, broke the protocol, failed or timed out: nothing more is delivered to it.
                    transport.StopDelivery();
                    if (lifetime is not null)
                    {
                        lifetime.ReadFinished = true;
                    }

                    await LeaveRoomAsync(client, transport, end == ReadEnd.TimedOut, mayResume);
                    await EndWriterAsync(writer, transport);
                }
            }
            finally
            {
                transport.Abort();
                connections.Remove(id);
                stats.RecordConnectionClosed();
                LogDisconnected(logger, id, end == ReadEnd.TimedOut, transport.CloseCode);
            }
        }
        catch (Exception ex) when (ending == ServeEnd.ReleaseAndClose)
        {
            failures.Report(id, "serving the connection", ex);
        }
        finally
        {
            if (ending != ServeEnd.None)
            {
                socket.Dispose();
                connections.Release();
            }

            if (ending == ServeEnd.ReleaseAndClose)
            {
                lifetime?.Close();
            }
        }
    }

    /// <summary>
    /// Whether the way the connection ended lets a resumable client come back: no close frame (the peer vanished), a
    /// keep-alive timeout, a close 1001 from the client, or the server's slow-consumer close (4004). Any other close
    /// frame from the client, a protocol error, and any other close by the server end the client for good.
    /// </summary>
    private static bool MayResume(ReadEnd end, ushort serverCloseCode, WebSocketCloseStatus? peerCloseStatus) =>
        serverCloseCode != 0
            ? serverCloseCode == CloseCodes.SlowConsumer
            : end switch
            {
                ReadEnd.TimedOut or ReadEnd.Dropped => true,
                ReadEnd.PeerClosed => peerCloseStatus == (WebSocketCloseStatus)CloseCodes.GoingAway,
                _ => false,
            };

    /// <summary>Tells the room that the client is gone (`disconnected` or `timeout`, or away), so the others hear of it.</summary>
    private async Task LeaveRoomAsync(ClientConnection client, WebSocketTransport transport, bool timedOut, bool mayResume)
    {
        try
        {
            await dispatcher.HandleDisconnectAsync(client, timedOut, mayResume, CancellationToken.None);
        }
        catch (Exception ex)
        {
            failures.Report(transport.ConnectionId, "leaving its room", ex);
        }
    }

    /// <summary>Waits for the writer to send the close frame (or give up); reports a fault that ended it instead.</summary>
    private async Task EndWriterAsync(Task writer, WebSocketTransport transport)
    {
        try
        {
            await writer;
        }
        catch (Exception ex)
        {
            failures.Report(transport.ConnectionId, "writing to the socket", ex);
        }
    }

    /// <summary>
    /// Completes the WebSocket handshake. On HTTP/1.1 the server's WebSocket runs over a
    /// <see cref="CoalescingStream"/>, so the writer loop can send a batch of frames in one write; elsewhere
    /// (HTTP/2 WebSockets) it falls back to ASP.NET Core's accept and frame-by-frame sends, without compression.
    /// With `Relay:Compression:Enabled`, an HTTP/1.1 client's `permessage-deflate` offer is answered as
    /// <see cref="DeflateNegotiation"/> decides: the WebSocket inflates what the client sends, and the writer sends
    /// each frame's shared compressed form (the returned <see cref="FrameCompression"/>).
    /// </summary>
    private async Task<(WebSocket Socket, CoalescingStream? Stream, FrameCompression? Compression)> AcceptAsync(HttpContext context, ConnectionLifetime lifetime)
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
            return (accepted, null, null);
        }

        var headers = context.Response.Headers;
        headers.Connection = HeaderNames.Upgrade;
        headers.Upgrade = "websocket";
        headers.SecWebSocketAccept = AcceptKey(context.Request.Headers.SecWebSocketKey.ToString());
        var extension = NegotiateCompression(context.Request.Headers.SecWebSocketExtensions);
        if (extension is not null)
        {
            headers.SecWebSocketExtensions = extension;
        }

        var opaque = await upgrade.UpgradeAsync();
        return CreateServerSocket(opaque, lifetime, compressed: extension is not null);
    }

    /// <summary>
    /// The server's WebSocket over a <see cref="CoalescingStream"/> on the upgraded connection's stream. Its own
    /// keep-alive is off: <see cref="KeepAliveSweep"/> pings through the stream and drops silent peers. When the
    /// connection negotiated `permessage-deflate` (<paramref name="compressed"/>), the WebSocket inflates what the
    /// client sends and the writer sends each frame's shared compressed form (the returned compression).
    /// </summary>
    private (WebSocket Socket, CoalescingStream Stream, FrameCompression? Compression) CreateServerSocket(Stream opaque, ConnectionLifetime lifetime, bool compressed)
    {
        var stream = new CoalescingStream(opaque, lifetime.OnStreamDisposed);
        var socket = lifetime.Socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
        {
            IsServer = true,
            KeepAliveInterval = TimeSpan.Zero,
            DangerousDeflateOptions = compressed ? DeflateNegotiation.DeflateOptions() : null,
        });
        return (socket, stream, compressed ? _compression : null);
    }

    /// <summary>
    /// The `Sec-WebSocket-Extensions` answer to a client's <paramref name="offers"/>: `permessage-deflate` as
    /// <see cref="DeflateNegotiation"/> decides when `Relay:Compression:Enabled`, else null (no extension).
    /// </summary>
    internal string? NegotiateCompression(IEnumerable<string?> offers) => DeflateNegotiation.Negotiate(offers, _options.Compression);

    /// <summary>RFC 6455: base64 of SHA-1 of the client's key and the protocol's GUID.</summary>
    internal static string AcceptKey(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));

    /// <summary>Reads whole messages and dispatches them; returns how the reading ended.</summary>
    private async Task<ReadEnd> ReadLoopAsync(WebSocket socket, ClientConnection session, WebSocketTransport transport)
    {
        var limiter = new ClientRateLimiter(_rateLimit, timeProvider);
        using var reader = new MessageReader(socket, _options.MaxMessageBytes);
        try
        {
            while (true)
            {
                switch (await reader.ReceiveAsync())
                {
                    case ReceiveOutcome.Close:
                        return ReadEnd.PeerClosed;
                    case ReceiveOutcome.TooBig:
                        LogMessageTooBig(logger, transport.ConnectionId, _options.MaxMessageBytes);
                        transport.Close(CloseCodes.MessageTooBig, "message too big");
                        if (!await reader.DiscardRestOfMessageAsync())
                        {
                            return ReadEnd.PeerClosed;
                        }

                        break;
                    default:
                        if (!transport.IsClosing)
                        {
                            await HandleMessageAsync(session, transport, limiter, reader.Message, reader.IsText);
                        }

                        break;
                }
            }
        }
        catch (Exception) when (transport.KeepAliveExpired)
        {
            // The keep-alive sweep gave up on a silent peer and aborted the socket under the read.
            return ReadEnd.TimedOut;
        }
        catch (OperationCanceledException)
        {
            // Nobody here cancelled, yet the socket was aborted under the read: the WebSocket's own keep-alive (an
            // HTTP/2 WebSocket) gave up on a peer that stopped answering pings (the only other aborts come from closing).
            return !transport.Aborted.IsCancellationRequested && !transport.IsClosing ? ReadEnd.TimedOut : ReadEnd.Dropped;
        }
        catch (WebSocketException ex)
        {
            if (IsKeepAliveTimeout(ex))
            {
                return ReadEnd.TimedOut;
            }

            LogReceiveFailed(logger, transport.ConnectionId, ex.WebSocketErrorCode);
            return ex.WebSocketErrorCode == WebSocketError.ConnectionClosedPrematurely ? ReadEnd.Dropped : ReadEnd.Failed;
        }
        catch (IOException)
        {
            return ReadEnd.Dropped;
        }
    }

    /// <summary>How a connection's reading ended.</summary>
    private enum ReadEnd
    {
        /// <summary>The client's close frame arrived.</summary>
        PeerClosed,

        /// <summary>The client stopped answering keep-alive pings.</summary>
        TimedOut,

        /// <summary>The connection went without a close frame (or the server aborted it).</summary>
        Dropped,

        /// <summary>The client broke the protocol (the WebSocket closed it with 1002 or 1007).</summary>
        Failed,
    }

    /// <summary>
    /// Counts, rate-limits and dispatches one whole message. A fault nobody foresaw while handling it closes this
    /// connection with 1011 and is reported (rate-limited) instead of ending the read loop with an exception.
    /// </summary>
    private async ValueTask HandleMessageAsync(ClientConnection session, WebSocketTransport transport, ClientRateLimiter limiter, ReadOnlyMemory<byte> message, bool isText)
    {
        stats.RecordReceived(message.Length);
        try
        {
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
        catch (Exception ex) when (ex is not OperationCanceledException || !transport.Aborted.IsCancellationRequested)
        {
            failures.Report(transport.ConnectionId, "handling a message", ex);
            transport.Close(CloseCodes.InternalError, "internal error");
        }
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
internal sealed class ConnectionLifetime(Action abort)
{
    public WebSocket? Socket { get; set; }

    /// <summary>Closes the connection (its abort), for the connections nobody else closes.</summary>
    public void Close() => abort();

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
            abort();
        }
    }
}

internal static class WebSocketEndpoint
{
    public const string Path = "/v1/websocket";

    /// <summary>
    /// `/v1/websocket`, that path exactly (`/v1/websocket/anything` goes on to the rest of the pipeline and its
    /// 404), as its own pipeline branch: only the WebSocket middleware and the handler.
    /// </summary>
    public static IApplicationBuilder MapRelayWebSocket(this IApplicationBuilder app)
    {
        var handler = app.ApplicationServices.GetRequiredService<WebSocketHandler>();
        return app.MapWhen(context => context.Request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase), branch =>
        {
            branch.UseWebSockets();
            branch.Run(handler.HandleAsync);
        });
    }
}
