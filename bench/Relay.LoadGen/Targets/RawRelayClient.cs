using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Relay.LoadGen.Measurement;
using Relay.LoadGen.Raw;

namespace Relay.LoadGen.Targets;

/// <summary>
/// One joined client of the raw-socket mode: a plain TCP socket after a hand-made upgrade, served by a
/// <see cref="SocketLoop"/>. Broadcasts go out as one pre-encoded, pre-masked frame per client: on each send
/// only the payload's leading stamp bytes (<see cref="Payloads.StampedBytes"/>: timestamp and origin tag) are
/// copied in and masked; the frame is appended to the client's output and the loop thread writes it with one
/// non-blocking send in its next round (the caller's thread makes no system call), so one thread does all the
/// I/O and the pacers cannot starve the receiving. The mask key is fixed per connection (a load generator's
/// choice: RFC 6455 wants a fresh key per frame from browsers, to protect proxies from the page's script; the
/// server only has to unmask, which is what is measured). Received frames are parsed in place from the loop's
/// large reads; pings are answered with pongs and a close frame with a close frame.
/// </summary>
internal sealed class RawRelayClient : LoopConnection, IBenchClient, IFrameHandler
{
    private const int MaxMessageBytes = 16 * 1024 * 1024;

    /// <summary>Queued output beyond which a broadcast waits (the pacer then skips this client) until it drains.</summary>
    private const int MaxQueuedBytes = 64 * 1024;

    private static ReadOnlySpan<byte> BroadcastPrefix => "{\"type\":\"broadcast\",\"data\":"u8;

    private readonly FrameReader _reader = new(MaxMessageBytes);
    private readonly Action<ReadOnlyMemory<byte>, long> _onMessage;
    private readonly uint _maskKey = WsFrame.NewMaskKey();
    private readonly Lock _sendLock = new();

    // The pre-encoded broadcast frame and what it was built from.
    private byte[] _frame = [];
    private int _frameLength;
    private int _stampAt; // where the payload's first byte sits in the frame
    private int _stampOffset; // and its offset within the frame's (masked) payload
    private bool _frameBinary;
    private int _framePayloadLength = -1;
    private byte[] _frameTail = []; // the payload after its stamp bytes, unmasked, to notice a different payload

    // Frames queued by the pacers (under the lock), and the batch the loop thread is writing (its own, outside
    // the lock: the lock is never held across a system call). A completion tells the pacer when a socket that
    // does not drain has too much queued.
    private byte[] _out = new byte[1024];
    private int _outLength;
    private byte[] _flushing = new byte[1024];
    private int _flushOffset;
    private int _flushLength;
    private bool _sendRequested;
    private bool _watchingWritable;
    private TaskCompletionSource? _drained;

    private int _errors;
    private int _pongs;
    private int _framesThisRead;
    private volatile bool _disposing;
    private volatile bool _closed;
    private bool _closeSent;

    public RawRelayClient(Socket socket, Action<ReadOnlyMemory<byte>, long> onMessage)
        : base(socket) => _onMessage = onMessage;

    public int Errors => Volatile.Read(ref _errors);

    /// <summary>Pings answered so far.</summary>
    public int PongsSent => Volatile.Read(ref _pongs);

    /// <summary>Set once `connected` has arrived (during the join).</summary>
    public bool Joined { get; private set; }

    /// <summary>Set when the join was refused: the server's `error` message or close.</summary>
    public string? JoinFailure { get; private set; }

    public ValueTask BroadcastAsync(ReadOnlyMemory<byte> payload, bool binary, CancellationToken cancellationToken)
    {
        lock (_sendLock)
        {
            if (_closed)
            {
                return ValueTask.FromException(new IOException("the connection is closed"));
            }

            PrepareBroadcast(payload.Span, binary);
            return QueueLocked(_frame.AsSpan(0, _frameLength));
        }
    }

    /// <summary>
    /// Sends one rare frame masked with this connection's key: during the join (before the loop serves the
    /// socket) with a blocking send, afterwards (pongs, the close reply) through the loop.
    /// </summary>
    public void SendFrame(byte opcode, ReadOnlySpan<byte> payload)
    {
        var frame = WsFrame.Encode(opcode, payload, _maskKey);
        if (Loop is null)
        {
            Socket.Send(frame);
            return;
        }

        lock (_sendLock)
        {
            if (!_closed || opcode == WsFrame.Close)
            {
                _ = QueueLocked(frame);
            }
        }
    }

    /// <summary>Parses bytes read during the join (blocking reads on the joining thread).</summary>
    public bool Parse(byte[] buffer, int start, int count) =>
        _reader.Feed(buffer, start, count, this, System.Diagnostics.Stopwatch.GetTimestamp());

    public override void OnReadable(byte[] buffer)
    {
        _framesThisRead = 0;
        var status = _reader.ReadFrom(Socket, buffer, this, out var received);
        switch (status)
        {
            case ReadStatus.Data:
                Loop!.CountRead(received, _framesThisRead);
                break;
            case ReadStatus.WouldBlock:
                break;
            case ReadStatus.ProtocolError:
                Fail();
                SendFrame(WsFrame.Close, [0x03, 0xEA]); // 1002
                Loop!.Remove(this);
                break;
            default:
                // The end of the stream: expected only after a close handshake or while disposing.
                if (!_closeSent)
                {
                    Fail();
                }

                _closed = true;
                Loop!.Remove(this);
                break;
        }
    }

    public override void OnWritable() => Flush();

    /// <summary>
    /// Popped from the loop's send requests: only now may the next queued frame ask again (a connection must be
    /// on the loop's stack at most once, or the stack's links are overwritten and other requests are lost).
    /// </summary>
    public override void OnSendRequested()
    {
        lock (_sendLock)
        {
            _sendRequested = false;
        }

        Flush();
    }

    public override void OnFailed(Exception exception)
    {
        _closed = true;
        if (!_disposing)
        {
            Fail();
        }

        ReleaseBacklog();
    }

    public void OnFrame(byte opcode, Memory<byte> payload, long arrived)
    {
        _framesThisRead++;
        switch (opcode)
        {
            case WsFrame.Text:
                var span = payload.Span;
                var kind = RelayEnvelope.Read(span, out var dataStart, out var dataLength);
                if (kind == Envelope.Message && dataStart >= 0)
                {
                    _onMessage(payload.Slice(dataStart, dataLength), arrived);
                }
                else if (kind == Envelope.Connected)
                {
                    Joined = true;
                }
                else if (kind == Envelope.Error)
                {
                    if (!Joined)
                    {
                        JoinFailure ??= "join refused: " + Encoding.UTF8.GetString(span);
                    }

                    Interlocked.Increment(ref _errors);
                }

                break;
            case WsFrame.Binary:
                if (payload.Length >= 4)
                {
                    _onMessage(payload[4..], arrived);
                }

                break;
            case WsFrame.Ping:
                SendFrame(WsFrame.Pong, payload.Span);
                Interlocked.Increment(ref _pongs);
                break;
            case WsFrame.Close:
                OnClose(payload.Span);
                break;
        }
    }

    public ValueTask DisposeAsync()
    {
        _disposing = true;
        _closed = true;
        Loop?.Remove(this);
        Socket.Dispose();
        ReleaseBacklog();
        return ValueTask.CompletedTask;
    }

    private void OnClose(ReadOnlySpan<byte> payload)
    {
        var code = payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload) : (ushort)1005;
        if (!Joined)
        {
            JoinFailure ??= $"closed before connected: {code} {Encoding.UTF8.GetString(payload[Math.Min(2, payload.Length)..])}";
        }

        if (!_disposing)
        {
            Fail();
        }

        // Echo the status code (RFC 6455 5.5.1), then wait for the server to end the TCP connection.
        Span<byte> reply = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(reply, code == 1005 ? (ushort)1000 : code);
        bool first;
        lock (_sendLock)
        {
            first = !_closeSent;
            _closeSent = true;
        }

        if (first)
        {
            SendFrame(WsFrame.Close, reply);
        }

        _closed = true;
    }

    /// <summary>Makes <see cref="_frame"/> the broadcast frame of <paramref name="payload"/>, rebuilding it only when more than the stamp changed.</summary>
    private void PrepareBroadcast(ReadOnlySpan<byte> payload, bool binary)
    {
        var stamped = Math.Min(payload.Length, Payloads.StampedBytes(binary));
        if (binary == _frameBinary && payload.Length == _framePayloadLength && payload[stamped..].SequenceEqual(_frameTail))
        {
            var target = _frame.AsSpan(_stampAt, stamped);
            payload[..stamped].CopyTo(target);
            WsFrame.Mask(target, _maskKey, _stampOffset);
            return;
        }

        var prefix = binary ? 1 : BroadcastPrefix.Length;
        var length = prefix + payload.Length + (binary ? 0 : 1);
        var header = WsFrame.HeaderLength(length, masked: true);
        if (_frame.Length < header + length)
        {
            _frame = new byte[header + length];
        }

        WsFrame.WriteHeader(_frame, binary ? WsFrame.Binary : WsFrame.Text, length, _maskKey);
        var body = _frame.AsSpan(header, length);
        if (binary)
        {
            body[0] = 0x00; // broadcast
        }
        else
        {
            BroadcastPrefix.CopyTo(body);
            body[^1] = (byte)'}';
        }

        payload.CopyTo(body[prefix..]);
        WsFrame.Mask(body, _maskKey, 0);
        _frameLength = header + length;
        _stampAt = header + prefix;
        _stampOffset = prefix;
        _frameBinary = binary;
        _framePayloadLength = payload.Length;
        _frameTail = payload[stamped..].ToArray();
    }

    /// <summary>Appends <paramref name="frame"/> to the output and asks the loop to write it (once per batch).</summary>
    private ValueTask QueueLocked(ReadOnlySpan<byte> frame)
    {
        if (_out.Length < _outLength + frame.Length)
        {
            Array.Resize(ref _out, Math.Max(_outLength + frame.Length, _out.Length * 2));
        }

        frame.CopyTo(_out.AsSpan(_outLength));
        _outLength += frame.Length;
        if (!_sendRequested && !_watchingWritable)
        {
            _sendRequested = true;
            Loop!.RequestSend(this);
        }

        if (_outLength + Volatile.Read(ref _flushLength) - Volatile.Read(ref _flushOffset) < MaxQueuedBytes)
        {
            return ValueTask.CompletedTask;
        }

        _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new ValueTask(_drained.Task);
    }

    /// <summary>
    /// On the loop thread: takes what the pacers queued (swapping buffers under the lock) and writes it with
    /// non-blocking sends until it is all out or the socket is full (then it waits for writability).
    /// </summary>
    private void Flush()
    {
        TaskCompletionSource? drained = null;
        while (true)
        {
            if (_flushOffset == _flushLength)
            {
                lock (_sendLock)
                {
                    Volatile.Write(ref _flushOffset, 0);
                    Volatile.Write(ref _flushLength, 0);
                    if (_outLength == 0)
                    {
                        Watch(false);
                        drained = _drained;
                        _drained = null;
                        break;
                    }

                    (_out, _flushing) = (_flushing, _out);
                    Volatile.Write(ref _flushLength, _outLength);
                    _outLength = 0;
                }
            }

            var sent = Socket.Send(_flushing.AsSpan(_flushOffset, _flushLength - _flushOffset), SocketFlags.None, out var error);
            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                lock (_sendLock)
                {
                    _outLength = 0;
                    Volatile.Write(ref _flushOffset, 0);
                    Volatile.Write(ref _flushLength, 0);
                    _closed = true;
                }

                Fail();
                break;
            }

            if (sent > 0)
            {
                Volatile.Write(ref _flushOffset, _flushOffset + sent);
            }

            if (_flushOffset < _flushLength)
            {
                lock (_sendLock)
                {
                    Watch(true);
                }

                break;
            }
        }

        drained?.TrySetResult();
    }

    /// <summary>Under the lock: asks for writability while a write is cut short, and stops asking once it is out.</summary>
    private void Watch(bool writable)
    {
        if (writable != _watchingWritable)
        {
            _watchingWritable = writable;
            Loop?.WatchWritable(this, writable);
        }
    }

    private void ReleaseBacklog()
    {
        TaskCompletionSource? drained;
        lock (_sendLock)
        {
            _outLength = 0;
            drained = _drained;
            _drained = null;
        }

        drained?.TrySetException(new IOException("the connection is closed"));
    }

    private void Fail() => Interlocked.Increment(ref _errors);
}
