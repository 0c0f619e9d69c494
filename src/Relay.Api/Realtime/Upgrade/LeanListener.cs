using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Relay.Api.Realtime.Upgrade;

/// <summary>
/// Kestrel's listener for a plain HTTP endpoint when the lean upgrade is on (<see cref="LeanListenerFactory"/>). It
/// accepts the sockets itself and lets <see cref="LeanUpgrade.OnSocketAsync"/> look at each one's first bytes: a
/// WebSocket upgrade of `/v1/websocket` that the server takes is served over the bare socket, and every other
/// connection is handed, untouched, to Kestrel as the connection its own socket transport would have made
/// (<see cref="SocketConnectionContextFactory"/>), which <see cref="AcceptAsync"/> returns.
/// </summary>
internal sealed partial class LeanListener : IConnectionListener
{
    private readonly Socket _listenSocket;
    private readonly SocketConnectionContextFactory _contexts;
    private readonly LeanUpgrade _upgrade;
    private readonly bool _noDelay;
    private readonly ILogger _logger;
    private readonly Channel<ConnectionContext> _handedOff = Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Action<Socket> _handOff;
    private readonly Task _accepting;
    private int _unbound;

    public LeanListener(Socket listenSocket, SocketConnectionContextFactory contexts, LeanUpgrade upgrade, bool noDelay, ILogger logger)
    {
        _listenSocket = listenSocket;
        _contexts = contexts;
        _upgrade = upgrade;
        _noDelay = noDelay;
        _logger = logger;
        _handOff = HandOff;
        EndPoint = listenSocket.LocalEndPoint!;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    public EndPoint EndPoint { get; }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _handedOff.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _unbound, 1) == 0)
        {
            _listenSocket.Dispose();
        }

        await _accepting;
        while (_handedOff.Reader.TryRead(out var connection))
        {
            await connection.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await UnbindAsync();
        _contexts.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listenSocket.AcceptAsync();
            }
            catch (Exception) when (Volatile.Read(ref _unbound) == 1)
            {
                break;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                // Gone while it waited in the backlog.
                continue;
            }
            catch (SocketException ex)
            {
                // Out of descriptors, most likely: wait a little rather than spin, as Kestrel's own listener does.
                LogAcceptFailed(_logger, ex.SocketErrorCode);
                await Task.Delay(TimeSpan.FromMilliseconds(100));
                continue;
            }

            if (socket.LocalEndPoint is IPEndPoint)
            {
                socket.NoDelay = _noDelay;
            }

            _ = _upgrade.OnSocketAsync(socket, _handOff);
        }

        _handedOff.Writer.TryComplete();
    }

    /// <summary>Gives a socket the lean path does not serve to Kestrel, as its socket transport would have.</summary>
    private void HandOff(Socket socket)
    {
        ConnectionContext connection;
        try
        {
            connection = _contexts.Create(socket);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
            return;
        }

        if (!_handedOff.Writer.TryWrite(connection))
        {
            // The listener is unbound: the server is stopping.
            _ = connection.DisposeAsync().AsTask();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accepting a connection failed ({Error}); trying again")]
    private static partial void LogAcceptFailed(ILogger logger, SocketError error);
}
