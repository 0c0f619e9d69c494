using System.IO.Pipelines;
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
            WriteSwitchingProtocols(output, key, extension);
            return !(await output.FlushAsync(CancellationToken.None)).IsCompleted;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Writes the 101 answer for <paramref name="key"/>, with the `Sec-WebSocket-Extensions` answer when there is one,
    /// into <paramref name="output"/> (not yet flushed).
    /// </summary>
    private static void WriteSwitchingProtocols(PipeWriter output, string key, string? extension)
    {
        var accept = WebSocketHandler.AcceptKey(key);
        var head = extension is null ? $"{accept}\r\n\r\n" : $"{accept}\r\nSec-WebSocket-Extensions: {extension}\r\n\r\n";
        var span = output.GetSpan(SwitchingProtocols.Length + head.Length);
        SwitchingProtocols.CopyTo(span);
        var written = SwitchingProtocols.Length + Encoding.ASCII.GetBytes(head, span[SwitchingProtocols.Length..]);
        output.Advance(written);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {ConnectionId} sent no complete request head in time: closed")]
    private static partial void LogHeadTimeout(ILogger logger, string connectionId);
}
