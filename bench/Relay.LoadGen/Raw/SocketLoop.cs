using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Relay.LoadGen.Raw;

/// <summary>A non-blocking socket served by a <see cref="SocketLoop"/>: its callbacks run on the loop's thread.</summary>
internal abstract class LoopConnection(Socket socket)
{
    public Socket Socket { get; } = socket;

    /// <summary>The loop serving this connection (set by <see cref="SocketLoop.Add"/>).</summary>
    public SocketLoop? Loop { get; internal set; }

    internal ulong Token { get; set; }

    /// <summary>The next connection in the loop's stack of send requests (see <see cref="SocketLoop.RequestSend"/>).</summary>
    internal LoopConnection? NextSend { get; set; }

    /// <summary>The socket is readable (or at its end): read once into the loop's shared <paramref name="buffer"/>.</summary>
    public abstract void OnReadable(byte[] buffer);

    /// <summary>The socket is writable again (only while <see cref="SocketLoop.WatchWritable"/> asked for it).</summary>
    public virtual void OnWritable()
    {
    }

    /// <summary>After <see cref="SocketLoop.RequestSend"/>: write what is queued (on the loop thread).</summary>
    public virtual void OnSendRequested()
    {
    }

    /// <summary>A callback threw (the socket was closed under it): the loop has already dropped the connection.</summary>
    public virtual void OnFailed(Exception exception)
    {
    }
}

/// <summary>
/// One thread that does all the socket I/O of its connections: it waits on many non-blocking sockets with one
/// epoll (level-triggered), reads each ready socket once per round into one shared buffer (64 KiB by default),
/// so a busy socket's frames arrive in large reads and nothing is allocated per read, and then writes for every
/// connection that queued bytes since the last round (<see cref="RequestSend"/>; other threads wake it through
/// an eventfd). Receiving and sending on one thread means neither starves the other on a single core.
/// Counts reads and frames for the reports.
/// </summary>
internal sealed class SocketLoop : IDisposable
{
    private const ulong WakeToken = 0;
    private static long s_nextToken;
    private readonly Epoll _epoll;
    private readonly Epoll.Wakeup _wakeup = new();
    private LoopConnection? _sendRequests; // a lock-free stack, linked through LoopConnection.NextSend
    private readonly ConcurrentDictionary<ulong, LoopConnection> _connections = new();
    private readonly byte[] _buffer;
    private readonly Thread _thread;
    private readonly int _waitMs;
    private readonly Action? _afterRound;
    private volatile bool _stopping;
    private long _reads;
    private long _frames;
    private long _bytes;

    /// <param name="name">The thread's name.</param>
    /// <param name="bufferBytes">The shared read buffer.</param>
    /// <param name="waitMs">Longest wait between rounds (also how quickly <see cref="Dispose"/> is noticed).</param>
    /// <param name="afterRound">Run on the loop thread after every round of events (and every timeout).</param>
    /// <param name="maxEvents">Ready sockets one round may serve.</param>
    public SocketLoop(string name, int bufferBytes = 64 * 1024, int waitMs = 50, Action? afterRound = null, int maxEvents = 512)
    {
        _epoll = new Epoll(maxEvents);
        _buffer = GC.AllocateUninitializedArray<byte>(bufferBytes, pinned: true);
        _waitMs = waitMs;
        _afterRound = afterRound;
        _epoll.Add(_wakeup.Fd, WakeToken, Epoll.In);
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public int Count => _connections.Count;

    /// <summary>Reads and frames counted so far (by <see cref="CountRead"/>; approximate while running).</summary>
    public (long Reads, long Frames, long Bytes) Counters => (Volatile.Read(ref _reads), Volatile.Read(ref _frames), Volatile.Read(ref _bytes));

    /// <summary>Starts serving a connection whose socket is already non-blocking.</summary>
    public void Add(LoopConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var token = (ulong)Interlocked.Increment(ref s_nextToken);
        connection.Token = token;
        connection.Loop = this;
        _connections[token] = connection;
        try
        {
            _epoll.Add(connection.Socket.SafeHandle, token, Epoll.In | Epoll.RdHup);
        }
        catch
        {
            _connections.TryRemove(token, out _);
            throw;
        }
    }

    /// <summary>Asks for (or stops asking for) <see cref="LoopConnection.OnWritable"/>.</summary>
    public void WatchWritable(LoopConnection connection, bool writable)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_connections.ContainsKey(connection.Token))
        {
            _epoll.Modify(connection.Socket.SafeHandle, connection.Token, Epoll.In | Epoll.RdHup | (writable ? Epoll.Out : 0));
        }
    }

    /// <summary>Stops serving a connection (it may still be mid-callback on the loop thread). Idempotent.</summary>
    public void Remove(LoopConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_connections.TryRemove(connection.Token, out _))
        {
            _epoll.TryRemove(connection.Socket.SafeHandle);
        }
    }

    /// <summary>True on the loop's own thread.</summary>
    public bool OnLoopThread => Thread.CurrentThread == _thread;

    /// <summary>
    /// Asks the loop to call <see cref="LoopConnection.OnSendRequested"/> once after its current round. A
    /// connection must not ask again before that call has begun (it keeps a flag that the call clears): the
    /// request is pushed on a lock-free stack linked through the connection itself, so asking twice would
    /// overwrite its link and lose the requests behind it. The loop is woken only when the stack was empty.
    /// </summary>
    public void RequestSend(LoopConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        LoopConnection? head;
        do
        {
            head = Volatile.Read(ref _sendRequests);
            connection.NextSend = head;
        }
        while (Interlocked.CompareExchange(ref _sendRequests, connection, head) != head);

        if (head is null && !OnLoopThread)
        {
            _wakeup.Set();
        }
    }

    /// <summary>Called by connections on the loop thread: one read of <paramref name="bytes"/> that held <paramref name="frames"/> frames.</summary>
    public void CountRead(int bytes, int frames)
    {
        // Only the loop thread writes these; readers tolerate a slightly stale value.
        Volatile.Write(ref _reads, _reads + 1);
        Volatile.Write(ref _frames, _frames + frames);
        Volatile.Write(ref _bytes, _bytes + bytes);
    }

    public void Dispose()
    {
        _stopping = true;
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }

        _epoll.Dispose();
        _wakeup.Dispose();
    }

    private void Run()
    {
        while (!_stopping)
        {
            var n = _epoll.Wait(_waitMs);
            for (var i = 0; i < n; i++)
            {
                var (token, events) = _epoll.EventAt(i);
                if (token == WakeToken)
                {
                    _wakeup.Reset();
                    continue;
                }

                if (!_connections.TryGetValue(token, out var connection))
                {
                    continue;
                }

                try
                {
                    if ((events & Epoll.Out) != 0)
                    {
                        connection.OnWritable();
                    }

                    if ((events & (Epoll.In | Epoll.Err | Epoll.Hup | Epoll.RdHup)) != 0)
                    {
                        connection.OnReadable(_buffer);
                    }
                }
                catch (Exception ex) when (ex is ObjectDisposedException or SocketException or InvalidOperationException)
                {
                    Remove(connection);
                    connection.OnFailed(ex);
                }
            }

            RunSends();
            _afterRound?.Invoke();
        }
    }

    private void RunSends()
    {
        var connection = Interlocked.Exchange(ref _sendRequests, null);
        while (connection is not null)
        {
            var next = connection.NextSend;
            connection.NextSend = null;
            try
            {
                connection.OnSendRequested();
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException or InvalidOperationException)
            {
                Remove(connection);
                connection.OnFailed(ex);
            }

            connection = next;
        }
    }
}
