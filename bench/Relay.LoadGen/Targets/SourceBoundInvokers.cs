using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Relay.LoadGen.Targets;

/// <summary>
/// One HTTP handler per source address, for WebSocket connects: its connect callback binds each socket to that
/// address (workloads that spread connections over 127.0.0.2.. to get past one address's ephemeral ports).
/// </summary>
internal sealed class SourceBoundInvokers : IDisposable
{
    private readonly ConcurrentDictionary<string, HttpMessageInvoker> _invokers = new();

    /// <summary>The handler for <paramref name="localAddress"/> (null: the kernel's choice).</summary>
    public HttpMessageInvoker For(IPAddress? localAddress) =>
        _invokers.GetOrAdd(localAddress?.ToString() ?? string.Empty, static (_, local) => new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            ConnectCallback = async (context, ct) =>
            {
                var s = local is null
                    ? new Socket(SocketType.Stream, ProtocolType.Tcp)
                    : new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    s.NoDelay = true;
                    if (local is not null)
                    {
                        s.Bind(new IPEndPoint(local, 0));
                    }

                    await s.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(s, ownsSocket: true);
                }
                catch
                {
                    s.Dispose();
                    throw;
                }
            },
        }), localAddress);

    public void Dispose()
    {
        foreach (var invoker in _invokers.Values)
        {
            invoker.Dispose();
        }

        _invokers.Clear();
    }
}
