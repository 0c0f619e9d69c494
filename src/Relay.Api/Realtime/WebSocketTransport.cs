using System.Net.WebSockets;
using Relay.Application.Common;
using Relay.Domain.Connections;
using Relay.Domain.Frames;

namespace Relay.Api.Realtime;

/// <summary>
/// The WebSocket under a client connection. It only moves bytes: a bounded outbound queue (messages and bytes)
/// drained by one writer loop that takes everything queued at once and writes it as one coalesced batch, an orderly
/// close that writes what is queued first, and a close timeout after which the socket is aborted. Enqueueing never
/// blocks: a client whose queue overflows is closed with 4004 instead of slowing anyone. The bound covers every frame
/// accepted and not yet written (the batch being written counts until its write has finished), except a returning
/// client's replay, which the room's history holds anyway. When the client's side ends (<see cref="StopDelivery"/>),
/// nothing more is accepted and what is queued is dropped. It knows nothing of rooms: a room member sends with the
/// membership epoch it was given, which <see cref="EndEpoch"/> ends.
/// </summary>
internal sealed partial class WebSocketTransport : IConnection, IDisposable
{
    private readonly WebSocket _socket;
    private readonly CoalescingStream? _stream;
    private readonly FrameCompression? _compression;
    private readonly Lock _gate = new();
    private readonly Queue<Queued> _queue = new();
    private readonly WriterSignal _wakeWriter = new();
    private readonly int _maxMessages;
    private readonly long _maxBytes;
    private readonly TimeSpan _closeTimeout;
    private readonly RelayStats _stats;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    /// <summary>Queues and batches that grew past this many frames are shrunk back once drained.</summary>
    private const int TrimAbove = 16;
    private readonly CancellationTokenSource _aborted = new();
    private ITimer? _closeTimer;
    private int _epoch;

    /// <summary>Frames accepted and not yet written (queued, or in the batch being written), and their payload bytes.</summary>
    private int _heldMessages;
    private long _heldBytes;
    private bool _writerWaiting;
    private volatile bool _closing;
    private volatile bool _keepAliveExpired;
    private long _lastPing;
    private ushort _closeCode;
    private string _closeReason = string.Empty;

    /// <param name="socket">The accepted WebSocket.</param>
    /// <param name="stream">The coalescing stream under <paramref name="socket"/>, or null to send frame by frame.</param>
    /// <param name="connectionId">Server-wide connection id, for logs.</param>
    /// <param name="limits">Send queue limits and the close timeout.</param>
    /// <param name="stats">Counters.</param>
    /// <param name="timeProvider">Clock for the timers.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="compression">How frames are compressed when the connection negotiated `permessage-deflate`; null when it did not.</param>
    public WebSocketTransport(
        WebSocket socket,
        CoalescingStream? stream,
        long connectionId,
        TransportLimits limits,
        RelayStats stats,
        TimeProvider timeProvider,
        ILogger logger,
        FrameCompression? compression = null)
    {
        _socket = socket;
        _stream = stream;
        _compression = compression;
        ConnectionId = connectionId;
        _maxMessages = limits.MaxQueuedMessages;
        _maxBytes = limits.MaxQueuedBytes;
        _closeTimeout = limits.CloseTimeout;
        _stats = stats;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public long ConnectionId { get; }

    public long Id => ConnectionId;

    public int Epoch => Volatile.Read(ref _epoch);

    /// <summary>Cancelled when the socket is aborted (close timeout, shutdown, or a failed write).</summary>
    public CancellationToken Aborted => _aborted.Token;

    public bool IsClosing => _closing;

    /// <summary>The close code the server chose, or 0 when the server has not closed.</summary>
    public ushort CloseCode => _closing ? _closeCode : (ushort)0;

    public bool TrySend(OutboundFrame frame) => Enqueue(frame, -1, counted: true);

    public bool TrySend(OutboundFrame frame, int epoch) => Enqueue(frame, epoch, counted: true);

    public bool TrySendReplay(OutboundFrame frame) => Enqueue(frame, -1, counted: false);

    public void Close(ushort code, string reason) => Close(code, reason, discardQueued: false);

    /// <summary>
    /// The client's side has ended: it sent its close frame, broke the protocol (the WebSocket has then written
    /// its own close frame), timed out or dropped the connection. Nothing more is delivered: frames are refused
    /// from now on, the queued ones are dropped, and the transport closes (if it was not closing already).
    /// </summary>
    public void StopDelivery() => Close(CloseCodes.Normal, string.Empty, discardQueued: true);

    public void EndEpoch()
    {
        // Under the queue lock: a relay that checked the old epoch has finished queueing before anything about the
        // departure (left, room_closed) can be queued behind it, and every later one is refused.
        lock (_gate)
        {
            _epoch++;
        }
    }

    /// <summary>
    /// Writes queued frames, a whole queue's worth per batch, until the transport closes; then sends the close
    /// frame. Runs once per connection. An unexpected exception aborts the socket (so that the read loop ends
    /// too) and is rethrown for the connection's owner to report.
    /// </summary>
    public async Task RunWriterAsync()
    {
        var batch = new List<Queued>();
        try
        {
            while (true)
            {
                bool wait;
                lock (_gate)
                {
                    while (_queue.TryDequeue(out var frame))
                    {
                        batch.Add(frame);
                    }

                    if (batch.Count > TrimAbove)
                    {
                        _queue.TrimExcess();
                    }

                    wait = batch.Count == 0 && !_closing;
                    _writerWaiting = wait;
                    if (batch.Count == 0 && _closing)
                    {
                        break;
                    }
                }

                if (wait)
                {
                    await _wakeWriter.WaitAsync();
                    continue;
                }

                var written = false;
                try
                {
                    written = await WriteBatchAsync(batch);
                }
                finally
                {
                    ReleaseWritten(batch, written);
                }

                if (!written)
                {
                    // The WebSocket wrote a close frame of its own (the client broke the protocol): nothing may follow it.
                    StopDelivery();
                    break;
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
        catch
        {
            Abort();
            throw;
        }
        finally
        {
            ReleaseQueued();
        }
    }

    /// <summary>True once the keep-alive gave up on the peer (<see cref="CheckKeepAlive"/>).</summary>
    public bool KeepAliveExpired => _keepAliveExpired;

    /// <summary>
    /// The keep-alive, checked by <see cref="KeepAliveSweep"/>: a peer silent for <paramref name="interval"/> is sent a
    /// ping (one per interval), and one silent for twice as long is aborted as timed out. Any byte from the peer, its
    /// pongs included, counts. Without a <see cref="CoalescingStream"/> the WebSocket keeps its own keep-alive.
    /// </summary>
    public void CheckKeepAlive(long now, TimeSpan interval)
    {
        if (_stream is null || _closing)
        {
            return;
        }

        var clock = KeepAliveSweep.Clock;
        var silent = clock.GetElapsedTime(_stream.LastReceived, now);
        if (silent >= 2 * interval)
        {
            _keepAliveExpired = true;
            Abort();
        }
        else if (silent >= interval && clock.GetElapsedTime(_lastPing, now) >= interval)
        {
            _lastPing = now;
            _ = _stream.PingAsync();
        }
    }

    /// <summary>Aborts the socket: pending reads and writes end at once.</summary>
    public void Abort()
    {
        bool wake;
        lock (_gate)
        {
            _closing = true;
            wake = _writerWaiting;
            _writerWaiting = false;
        }

        try
        {
            _aborted.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Abort();
        if (wake)
        {
            _wakeWriter.Set();
        }
    }

    public void Dispose()
    {
        _closeTimer?.Dispose();
        _aborted.Dispose();
    }

    /// <summary>
    /// Queues <paramref name="frame"/>: with an <paramref name="epoch"/> (not -1) only while it is still the current one;
    /// not <paramref name="counted"/> against the bound for a replay.
    /// </summary>
    private bool Enqueue(OutboundFrame frame, int epoch, bool counted)
    {
        ArgumentNullException.ThrowIfNull(frame);
        bool overflow;
        bool wake;
        int messages;
        long bytes;
        lock (_gate)
        {
            if (_closing)
            {
                _stats.RecordDrop();
                return false;
            }

            if (epoch >= 0 && epoch != _epoch)
            {
                return false;
            }

            messages = _heldMessages + (counted ? 1 : 0);
            bytes = _heldBytes + (counted ? frame.Length : 0);
            overflow = counted && (messages > _maxMessages || bytes > _maxBytes);
            wake = false;
            if (!overflow)
            {
                frame.AddReference();
                _queue.Enqueue(new Queued(frame, counted));
                _heldMessages = messages;
                _heldBytes = bytes;
                wake = _writerWaiting;
                _writerWaiting = false;
            }
        }

        if (overflow)
        {
            _stats.RecordDrop();
            _stats.RecordSlowConsumerClose();
            LogSlowConsumer(_logger, ConnectionId, messages, bytes);
            Close(CloseCodes.SlowConsumer, "slow consumer", discardQueued: true);
            return false;
        }

        if (wake)
        {
            _wakeWriter.Set();
        }

        return true;
    }

    /// <summary>Writes a batch; false when the stream refused it because a close frame has been written.</summary>
    private async ValueTask<bool> WriteBatchAsync(List<Queued> batch)
    {
        if (_stream is not null)
        {
            return await _stream.WriteFramesAsync(batch, _compression, _aborted.Token);
        }

        foreach (var (frame, _) in batch)
        {
            var type = frame.Kind == FrameKind.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
            await _socket.SendAsync(frame.Memory, type, endOfMessage: true, _aborted.Token);
        }

        return true;
    }

    /// <summary>
    /// The batch's write is over, done or not: its frames no longer count against the queue's bound (first, so
    /// that whoever sees them counted as sent also sees them gone from the bound), then are counted as sent if
    /// they were, and released.
    /// </summary>
    private void ReleaseWritten(List<Queued> batch, bool written)
    {
        var messages = 0;
        long bytes = 0;
        foreach (var (frame, counted) in batch)
        {
            if (counted)
            {
                messages++;
                bytes += frame.Length;
            }
        }

        lock (_gate)
        {
            _heldMessages -= messages;
            _heldBytes -= bytes;
        }

        foreach (var (frame, _) in batch)
        {
            if (written)
            {
                _stats.RecordSent(frame.SentLength(_compression));
            }

            frame.Release();
        }

        batch.Clear();
        if (batch.Capacity > TrimAbove)
        {
            // A burst grew the batch: do not keep its array for the life of an idle connection.
            batch.Capacity = TrimAbove;
        }
    }

    /// <summary>
    /// Marks the transport closing (the first close code wins) and, with <paramref name="discardQueued"/>, drops
    /// what is queued, even when it was closing already.
    /// </summary>
    private void Close(ushort code, string reason, bool discardQueued)
    {
        bool wake;
        lock (_gate)
        {
            if (discardQueued)
            {
                ReleaseQueuedLocked();
            }

            if (_closing)
            {
                return;
            }

            _closing = true;
            _closeCode = code;
            _closeReason = reason.Length > 120 ? reason[..120] : reason;
            wake = _writerWaiting;
            _writerWaiting = false;
        }

        _closeTimer = _timeProvider.CreateTimer(static s => ((WebSocketTransport)s!).Abort(), this, _closeTimeout, Timeout.InfiniteTimeSpan);
        if (wake)
        {
            _wakeWriter.Set();
        }
    }

    private void ReleaseQueued()
    {
        lock (_gate)
        {
            ReleaseQueuedLocked();
        }
    }

    private void ReleaseQueuedLocked()
    {
        while (_queue.TryDequeue(out var queued))
        {
            if (queued.Counted)
            {
                _heldMessages--;
                _heldBytes -= queued.Frame.Length;
            }

            queued.Frame.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {ConnectionId} is a slow consumer ({Messages} messages, {Bytes} bytes queued): closing with 4004")]
    private static partial void LogSlowConsumer(ILogger logger, long connectionId, int messages, long bytes);
}

/// <summary>A frame waiting to be written, and whether it counts against the send-queue bound (a replay does not).</summary>
internal readonly record struct Queued(OutboundFrame Frame, bool Counted);

/// <summary>A connection's send-queue limits and close timeout.</summary>
internal readonly record struct TransportLimits(int MaxQueuedMessages, long MaxQueuedBytes, TimeSpan CloseTimeout);
