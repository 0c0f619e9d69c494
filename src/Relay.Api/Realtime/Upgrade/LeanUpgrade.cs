using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Relay.Api.Realtime.Upgrade;

/// <summary>
/// Kestrel connection middleware on every endpoint, ahead of its HTTP layer: when a connection's first request is a
/// plain WebSocket upgrade of `/v1/websocket` that the server accepts (<see cref="UpgradeRequestParser"/>,
/// <see cref="WebSocketHandler.TryAdmit"/>), it answers 101 itself and runs the WebSocket straight over the
/// connection's pipes. Kestrel's per-connection HTTP/1.1 objects (the connection, its request and response headers,
/// the request's body and state machines), which an upgraded request would keep for the connection's whole life,
/// are then never made: an idle client costs about half the memory. Everything else, including every refused or
/// unusual upgrade, TLS, HTTP/2 and a second request on a kept-alive connection, goes on to Kestrel untouched (the
/// bytes read so far stay unconsumed), where the endpoint answers it as before. `Relay:LeanUpgrade=false` turns the
/// lean path off.
/// </summary>
internal sealed partial class LeanUpgrade(
    WebSocketHandler handler,
    IOptions<KestrelServerOptions> kestrel,
    ILogger<LeanUpgrade> logger)
{
    private static ReadOnlySpan<byte> SwitchingProtocols =>
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: "u8;

    /// <summary>
    /// How long the request head may take to arrive, as for any other request (Kestrel's RequestHeadersTimeout), on
    /// real time like Kestrel's own timeouts and the keep-alive (<see cref="KeepAliveSweep.Clock"/>).
    /// </summary>
    private readonly TimeSpan _headTimeout = kestrel.Value.Limits.RequestHeadersTimeout;

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        UpgradeRequest? request;
        try
        {
            request = await PeekAsync(connection);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The connection was reset, or aborted (the server's shutdown gave up waiting), before its head arrived.
            return;
        }

        if (request is null)
        {
            await next(connection);
            return;
        }

        if (ReferenceEquals(request, TimedOut))
        {
            LogHeadTimeout(logger, connection.ConnectionId);
            return;
        }

        var extension = handler.NegotiateCompression(request.Extensions is null ? [] : [request.Extensions]);
        if (!await TrySwitchAsync(connection.Transport.Output, request.Key, extension))
        {
            // The client went before the 101 could reach it: its reserved connection slot is given back.
            handler.ReleaseAdmission();
            return;
        }

        await handler.ServeUpgradedAsync(new DuplexPipeStream(connection.Transport), connection.Abort, compressed: extension is not null);
    }

    /// <summary>
    /// For a socket the lean listener accepted (<see cref="LeanListener"/>): looks at its first bytes without taking
    /// them. A complete upgrade that the server takes is consumed, answered with 101 and served over the socket
    /// itself, so the connection never gets Kestrel's transport objects either. Anything else, a head that has not
    /// fully arrived with its first bytes included, goes untouched to Kestrel (<paramref name="handOff"/>), whose
    /// connection then passes through <see cref="OnConnectionAsync"/> and the HTTP layer as before. A socket that
    /// sends nothing within the head timeout is closed. Never throws.
    /// </summary>
    public async Task OnSocketAsync(Socket socket, Action<Socket> handOff)
    {
        var admitted = false;
        try
        {
            var request = await TakeUpgradeAsync(socket);
            if (request is null)
            {
                handOff(socket);
                return;
            }

            admitted = true;
            var stream = new SocketStream(socket);
            var extension = handler.NegotiateCompression(request.Extensions is null ? [] : [request.Extensions]);
            await stream.WriteAsync(SwitchingProtocolsHead(request.Key, extension));
            admitted = false;

            // Not awaited: this method's state would otherwise be kept for the connection's whole life. The session
            // gives the slot back, closes the socket and reports its own faults.
            _ = handler.ServeUpgradedAsync(stream, socket.Dispose, compressed: extension is not null, ownsConnection: true);
            return;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went before its 101 reached it, or its socket was closed under the head.
        }
        catch (Exception ex)
        {
            LogFailed(logger, ex);
        }
        finally
        {
            if (admitted)
            {
                // Its reserved connection slot is given back.
                handler.ReleaseAdmission();
            }
        }

        Close(socket);
    }

    /// <summary>
    /// Peeks at the socket's first bytes. A complete upgrade the server takes is consumed and returned, with its
    /// connection slot reserved; null, with nothing consumed, for anything else.
    /// </summary>
    private async Task<UpgradeRequest?> TakeUpgradeAsync(Socket socket)
    {
        var head = ArrayPool<byte>.Shared.Rent(UpgradeRequestParser.MaxHeadBytes);
        try
        {
            int peeked;
            using (var timeout = new CancellationTokenSource(_headTimeout, KeepAliveSweep.Clock))
            {
                try
                {
                    peeked = await socket.ReceiveAsync(head.AsMemory(0, UpgradeRequestParser.MaxHeadBytes), SocketFlags.Peek, timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    LogHeadTimeout(logger, socket.RemoteEndPoint?.ToString() ?? "?");
                    throw;
                }
            }

            if (peeked == 0
                || UpgradeRequestParser.Parse(new ReadOnlySequence<byte>(head, 0, peeked), out var request, out var headLength) != UpgradeParse.Upgrade
                || !handler.TryAdmit(request!.Origin))
            {
                return null;
            }

            for (var taken = 0; taken < headLength;)
            {
                var received = socket.Receive(head, taken, headLength - taken, SocketFlags.None, out var error);
                if (error != SocketError.Success || received == 0)
                {
                    handler.ReleaseAdmission();
                    throw new IOException("The connection ended in its request head.");
                }

                taken += received;
            }

            return request;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(head);
        }
    }

    /// <summary>Closes a socket the lean path served or gave up on.</summary>
    private static void Close(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }

        socket.Dispose();
    }

    /// <summary>Stands for a request head that did not arrive in time.</summary>
    private static readonly UpgradeRequest TimedOut = new(string.Empty, string.Empty, null);

    /// <summary>
    /// Reads the connection's first request head. An upgrade the server takes is consumed and returned, with its
    /// connection slot reserved; for anything else nothing is consumed and the answer is null (the bytes go on to
    /// Kestrel's HTTP layer); <see cref="TimedOut"/> when the head did not arrive in time.
    /// </summary>
    private async Task<UpgradeRequest?> PeekAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        using var timeout = new CancellationTokenSource(_headTimeout, KeepAliveSweep.Clock);
        using var cancelRead = timeout.Token.UnsafeRegister(static state => ((PipeReader)state!).CancelPendingRead(), input);
        while (true)
        {
            var result = await input.ReadAsync(CancellationToken.None);
            var parse = UpgradeRequestParser.Parse(result.Buffer, out var request, out var headLength);
            if (result.IsCanceled)
            {
                input.AdvanceTo(result.Buffer.Start);
                return TimedOut;
            }

            if (parse == UpgradeParse.NeedMore && !result.IsCompleted)
            {
                input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                continue;
            }

            if (parse != UpgradeParse.Upgrade || !handler.TryAdmit(request!.Origin))
            {
                input.AdvanceTo(result.Buffer.Start);
                return null;
            }

            input.AdvanceTo(result.Buffer.GetPosition(headLength));
            return request;
        }
    }

    /// <summary>Sends the 101 answer; false when the connection is already gone.</summary>
    private static async Task<bool> TrySwitchAsync(PipeWriter output, string key, string? extension)
    {
        try
        {
            output.Write(SwitchingProtocolsHead(key, extension));
            return !(await output.FlushAsync(CancellationToken.None)).IsCompleted;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The 101 answer for <paramref name="key"/>, with the `Sec-WebSocket-Extensions` answer when there is one.</summary>
    private static byte[] SwitchingProtocolsHead(string key, string? extension)
    {
        var accept = WebSocketHandler.AcceptKey(key);
        var rest = extension is null ? $"{accept}\r\n\r\n" : $"{accept}\r\nSec-WebSocket-Extensions: {extension}\r\n\r\n";
        var head = new byte[SwitchingProtocols.Length + Encoding.ASCII.GetByteCount(rest)];
        SwitchingProtocols.CopyTo(head);
        Encoding.ASCII.GetBytes(rest, head.AsSpan(SwitchingProtocols.Length));
        return head;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A WebSocket connection served by the lean listener failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {ConnectionId} sent no complete request head in time: closed")]
    private static partial void LogHeadTimeout(ILogger logger, string connectionId);
}
