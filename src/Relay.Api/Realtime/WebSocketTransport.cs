using System.Net.WebSockets;
using System.Threading.Channels;
using Relay.Application.Common;
using Relay.Domain.Sessions;

namespace Relay.Api.Realtime;

/// <summary>
/// The WebSocket under a session: a bounded outbound queue (messages and bytes) drained by one writer
/// loop, an orderly close that writes what is queued first, a close timeout after which the socket is
/// aborted, and the connect timer. <see cref="TrySend"/> never blocks: a client whose queue overflows is
/// closed with 4004 instead of slowing anyone else.
/// </summary>
internal sealed partial class WebSocketTransport : ISessionTransport, IDisposable
{
    private readonly WebSocket _socket;
    private readonly Channel<OutboundFrame> _queue = Channel.CreateUnbounded<OutboundFrame>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });

    private readonly int _maxMessages;
    private readonly long _maxBytes;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _closeTimeout;
    private readonly RelayStats _stats;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _aborted = new();
    private readonly ITimer _connectTimer;
    private ITimer? _closeTimer;
    private Session? _session;
    private int _queuedMessages;
    private long _queuedBytes;
    private int _closing;
    private volatile bool _discardQueue;
    private ushort _closeCode;
    private string _closeReason = string.Empty;

    public WebSocketTransport(
        WebSocket socket,
        long connectionId,
        int maxMessages,
        long maxBytes,
        TimeSpan connectTimeout,
        TimeSpan closeTimeout,
        RelayStats stats,
        TimeProvider timeProvider,
        ILogger logger)
    {
        _socket = socket;
        _stats = stats;
        ConnectionId = connectionId;
        _maxMessages = maxMessages;
        _maxBytes = maxBytes;
        _connectTimeout = connectTimeout;
        _closeTimeout = closeTimeout;
        _timeProvider = timeProvider;
        _logger = logger;
        _connectTimer = timeProvider.CreateTimer(static s => ((WebSocketTransport)s!).OnConnectTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public long ConnectionId { get; }

    /// <summary>Cancelled when the socket is aborted (close timeout, shutdown, or a failed write).</summary>
    public CancellationToken Aborted => _aborted.Token;

    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>The close code the server chose, or 0 when the server has not closed.</summary>
    public ushort CloseCode => IsClosing ? _closeCode : (ushort)0;

    public void Start(Session session)
    {
        _session = session;
        _connectTimer.Change(_connectTimeout, Timeout.InfiniteTimeSpan);
    }

    public bool TrySend(OutboundFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (IsClosing)
        {
            _stats.RecordDrop();
            return false;
        }

        var messages = Interlocked.Increment(ref _queuedMessages);
        var bytes = Interlocked.Add(ref _queuedBytes, frame.Length);
        if (messages > _maxMessages || bytes > _maxBytes)
        {
            Dequeued(frame.Length);
            _stats.RecordDrop();
            _stats.RecordSlowConsumerClose();
            LogSlowConsumer(_logger, ConnectionId, messages, bytes);
            Close(CloseCodes.SlowConsumer, "slow consumer", discardQueued: true);
            return false;
        }

        frame.AddReference();
        if (_queue.Writer.TryWrite(frame))
        {
            return true;
        }

        Dequeued(frame.Length);
        frame.Release();
        _stats.RecordDrop();
        return false;
    }

    public void Close(ushort code, string reason) => Close(code, reason, discardQueued: false);

    public void OnLeftRoom()
    {
        if (!IsClosing)
        {
            _connectTimer.Change(_connectTimeout, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Writes queued frames until the queue completes (a close), then sends the close frame.</summary>
    public async Task RunWriterAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_aborted.Token))
            {
                while (reader.TryRead(out var frame))
                {
                    try
                    {
                        if (!_discardQueue)
                        {
                            var type = frame.Kind == FrameKind.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
                            await _socket.SendAsync(frame.Memory, type, endOfMessage: true, _aborted.Token);
                            _stats.RecordSent(frame.Length);
                        }
                    }
                    finally
                    {
                        Dequeued(frame.Length);
                        frame.Release();
                    }
                }
            }

            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync((WebSocketCloseStatus)_closeCode, _closeReason, _aborted.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException or IOException)
        {
            // The peer went away or the close timed out: nothing left to write to.
            Abort();
        }
        finally
        {
            while (reader.TryRead(out var frame))
            {
                Dequeued(frame.Length);
                frame.Release();
            }
        }
    }

    /// <summary>Aborts the socket: pending reads and writes end at once.</summary>
    public void Abort()
    {
        _queue.Writer.TryComplete();
        try
        {
            _aborted.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _connectTimer.Dispose();
        _closeTimer?.Dispose();
        _aborted.Dispose();
    }

    private void Close(ushort code, string reason, bool discardQueued)
    {
        if (Interlocked.CompareExchange(ref _closing, 1, 0) != 0)
        {
            return;
        }

        _closeCode = code;
        _closeReason = reason.Length > 120 ? reason[..120] : reason;
        _discardQueue = discardQueued;
        _connectTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _closeTimer = _timeProvider.CreateTimer(static s => ((WebSocketTransport)s!).Abort(), this, _closeTimeout, Timeout.InfiniteTimeSpan);
        _queue.Writer.TryComplete();
    }

    private void OnConnectTimer()
    {
        if (_session is { Room: null } && !IsClosing)
        {
            LogConnectTimeout(_logger, ConnectionId);
            Close(CloseCodes.ConnectTimeout, "connect timeout");
        }
    }

    private void Dequeued(int bytes)
    {
        Interlocked.Decrement(ref _queuedMessages);
        Interlocked.Add(ref _queuedBytes, -bytes);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {ConnectionId} is a slow consumer ({Messages} messages, {Bytes} bytes queued): closing with 4004")]
    private static partial void LogSlowConsumer(ILogger logger, long connectionId, int messages, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection {ConnectionId} sent no connect in time: closing with 4002")]
    private static partial void LogConnectTimeout(ILogger logger, long connectionId);
}
