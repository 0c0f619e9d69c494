using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace Relay.Api.Realtime.Upgrade;

/// <summary>
/// Kestrel's transport for IP endpoints when the lean upgrade is on: a plain HTTP endpoint
/// (<see cref="LeanEndpoints"/>) gets a <see cref="LeanListener"/>, which serves WebSocket upgrades over the bare
/// socket and hands everything else to Kestrel; a TLS endpoint gets Kestrel's own socket transport, unchanged. The
/// socket options (`UseSockets`: backlog, no-delay, inline scheduling, buffer limits) are Kestrel's. The lean path
/// is resolved when an endpoint is bound: it depends on the server (the origin rules read its addresses), which
/// depends on this.
/// </summary>
internal sealed class LeanListenerFactory(
    IOptions<SocketTransportOptions> options,
    ILoggerFactory loggers,
    IServiceProvider services,
    LeanEndpoints endpoints) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly SocketTransportFactory _kestrel = new(options, loggers);

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (!endpoints.IsPlain(endpoint))
        {
            return _kestrel.BindAsync(endpoint, cancellationToken);
        }

        var o = options.Value;
        Socket listenSocket;
        try
        {
            listenSocket = o.CreateBoundListenSocket(endpoint);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new AddressInUseException(ex.Message, ex);
        }

        listenSocket.Listen(o.Backlog);
        var contexts = new SocketConnectionContextFactory(
            new SocketConnectionFactoryOptions
            {
                IOQueueCount = o.IOQueueCount,
                WaitForDataBeforeAllocatingBuffer = o.WaitForDataBeforeAllocatingBuffer,
                MaxReadBufferSize = o.MaxReadBufferSize,
                MaxWriteBufferSize = o.MaxWriteBufferSize,
                UnsafePreferInlineScheduling = o.UnsafePreferInlineScheduling,
            },
            loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets"));
        return new ValueTask<IConnectionListener>(
            new LeanListener(listenSocket, contexts, services.GetRequiredService<LeanUpgrade>(), o.NoDelay, loggers.CreateLogger<LeanListener>()));
    }
}
