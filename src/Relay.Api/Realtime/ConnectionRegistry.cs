using System.Collections.Concurrent;

namespace Relay.Api.Realtime;

/// <summary>Every open WebSocket connection, for shutdown and connection counts.</summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<long, WebSocketTransport> _connections = new();
    private long _lastId;
    private int _reserved;
    private TaskCompletionSource? _empty;

    public long NextId() => Interlocked.Increment(ref _lastId);

    /// <summary>True when no connection is registered.</summary>
    public bool IsEmpty => _connections.IsEmpty;

    /// <summary>Takes one of <paramref name="max"/> connection seats, atomically; false at the limit.</summary>
    public bool TryReserve(int max)
    {
        if (Interlocked.Increment(ref _reserved) <= max)
        {
            return true;
        }

        Interlocked.Decrement(ref _reserved);
        return false;
    }

    /// <summary>Gives back a seat taken by <see cref="TryReserve"/>.</summary>
    public void Release() => Interlocked.Decrement(ref _reserved);

    public void Add(long id, WebSocketTransport transport) => _connections[id] = transport;

    public void Remove(long id)
    {
        _connections.TryRemove(id, out _);
        if (_connections.IsEmpty)
        {
            Volatile.Read(ref _empty)?.TrySetResult();
        }
    }

    /// <summary>Open connections, closing ones included until they end.</summary>
    public int Count => _connections.Count;

    /// <summary>Runs the keep-alive check of every open connection (<see cref="WebSocketTransport.CheckKeepAlive"/>).</summary>
    public void CheckKeepAlive(long now, TimeSpan interval)
    {
        foreach (var (_, transport) in _connections)
        {
            transport.CheckKeepAlive(now, interval);
        }
    }

    public int CloseAll(ushort code, string reason)
    {
        var closed = 0;
        foreach (var transport in _connections.Values)
        {
            transport.Close(code, reason);
            closed++;
        }

        return closed;
    }

    /// <summary>Aborts every connection still open (the stragglers of a shutdown that did not close in time).</summary>
    public void AbortAll()
    {
        foreach (var transport in _connections.Values)
        {
            transport.Abort();
        }
    }

    public async Task WaitForEmptyAsync(CancellationToken cancellationToken)
    {
        var empty = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _empty, empty);
        if (_connections.IsEmpty)
        {
            return;
        }

        try
        {
            await empty.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        }
        catch (TimeoutException)
        {
            // Stragglers are aborted (AbortAll).
        }
    }
}
