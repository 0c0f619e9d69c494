using System.Net.Sockets;

namespace Relay.LoadGen.Raw;

/// <summary>What a <see cref="FrameReader"/> hands over: whole messages (fragments joined) and control frames.</summary>
internal interface IFrameHandler
{
    /// <summary>
    /// A complete message or control frame, unmasked, as a slice of the reader's buffer: valid only during
    /// the call. <paramref name="arrived"/> is the <see cref="System.Diagnostics.Stopwatch"/> timestamp of the
    /// read that completed it.
    /// </summary>
    void OnFrame(byte opcode, Memory<byte> payload, long arrived);
}

/// <summary>How a read went.</summary>
internal enum ReadStatus
{
    /// <summary>Bytes were read and every complete frame in them handed over.</summary>
    Data,

    /// <summary>Nothing to read now (non-blocking socket).</summary>
    WouldBlock,

    /// <summary>The peer closed the connection (or reset it).</summary>
    Closed,

    /// <summary>The bytes are not WebSocket frames we accept (reserved bits, a frame over the limit, a stray continuation).</summary>
    ProtocolError,
}

/// <summary>
/// Parses WebSocket frames in place from large reads: every complete frame of a read is handed over as a
/// slice of the read buffer (unmasked in place when masked), so nothing is copied or allocated per message.
/// Only a frame cut by the end of a read is kept (copied once to a small carry buffer, then put back in
/// front of the next read); a frame larger than the read buffer is read straight into the carry buffer, and
/// fragmented messages are joined in a buffer of their own.
/// </summary>
internal sealed class FrameReader(int maxMessageBytes)
{
    private byte[] _carry = [];
    private int _carryLength;
    private long _carryFrameLength; // the carried frame's whole length, once its header is in (else 0)
    private byte[] _message = [];
    private int _messageLength;
    private byte _messageOpcode; // 0: no fragmented message in progress

    /// <summary>Reads once from <paramref name="socket"/> into <paramref name="buffer"/> (after any carried bytes) and parses.</summary>
    public ReadStatus ReadFrom(Socket socket, byte[] buffer, IFrameHandler handler, out int received)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(buffer);
        int n;
        SocketError error;
        if (_carryFrameLength > buffer.Length)
        {
            // A frame larger than the read buffer: read the rest of it into the carry buffer.
            n = socket.Receive(_carry.AsSpan(_carryLength, (int)(_carryFrameLength - _carryLength)), SocketFlags.None, out error);
            received = Math.Max(n, 0);
            var status = StatusOf(n, error);
            if (status != ReadStatus.Data)
            {
                return status;
            }

            _carryLength += n;
            if (_carryLength < _carryFrameLength)
            {
                return ReadStatus.Data;
            }

            var frame = _carry;
            var frameLength = _carryLength;
            _carry = [];
            _carryLength = 0;
            _carryFrameLength = 0;
            return Parse(frame, 0, frameLength, handler, System.Diagnostics.Stopwatch.GetTimestamp()) ? ReadStatus.Data : ReadStatus.ProtocolError;
        }

        var offset = _carryLength;
        _carry.AsSpan(0, offset).CopyTo(buffer);
        n = socket.Receive(buffer.AsSpan(offset), SocketFlags.None, out error);
        received = Math.Max(n, 0);
        var result = StatusOf(n, error);
        if (result != ReadStatus.Data)
        {
            return result;
        }

        var arrived = System.Diagnostics.Stopwatch.GetTimestamp();
        _carryLength = 0;
        _carryFrameLength = 0;
        return Parse(buffer, 0, offset + n, handler, arrived) ? ReadStatus.Data : ReadStatus.ProtocolError;
    }

    /// <summary>
    /// Bytes read some other way (the join's blocking reads, what followed the upgrade response): appended to
    /// any carried bytes, then parsed as by <see cref="ReadFrom"/>. False on a protocol error.
    /// </summary>
    public bool Feed(byte[] buffer, int start, int count, IFrameHandler handler, long arrived)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (_carryLength == 0)
        {
            return Parse(buffer, start, count, handler, arrived);
        }

        var joined = new byte[_carryLength + count];
        _carry.AsSpan(0, _carryLength).CopyTo(joined);
        buffer.AsSpan(start, count).CopyTo(joined.AsSpan(_carryLength));
        _carryLength = 0;
        _carryFrameLength = 0;
        return Parse(joined, 0, joined.Length, handler, arrived);
    }

    /// <summary>
    /// Hands over every complete frame in <paramref name="buffer"/>[<paramref name="start"/>..+<paramref name="count"/>]
    /// (unmasking in place) and keeps an incomplete last frame for the next read. False on a protocol error.
    /// </summary>
    private bool Parse(byte[] buffer, int start, int count, IFrameHandler handler, long arrived)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var at = start;
        var end = start + count;
        while (at < end)
        {
            var span = buffer.AsSpan(at, end - at);
            if (!WsFrame.TryReadHeader(span, out var header))
            {
                Carry(span, 0);
                return true;
            }

            if (header.Reserved || header.PayloadLength > maxMessageBytes)
            {
                return false;
            }

            var total = header.HeaderLength + header.PayloadLength;
            if (span.Length < total)
            {
                Carry(span, total);
                return true;
            }

            var payload = buffer.AsMemory(at + header.HeaderLength, (int)header.PayloadLength);
            if (header.MaskKey is { } key)
            {
                WsFrame.Mask(payload.Span, key, 0);
            }

            if (!Deliver(header, payload, handler, arrived))
            {
                return false;
            }

            at += (int)total;
        }

        return true;
    }

    private bool Deliver(in WsFrame.Header header, Memory<byte> payload, IFrameHandler handler, long arrived)
    {
        if (header.Opcode >= WsFrame.Close)
        {
            handler.OnFrame(header.Opcode, payload, arrived);
            return true;
        }

        if (header.Opcode != WsFrame.Continuation)
        {
            if (_messageOpcode != 0)
            {
                return false; // a new message inside a fragmented one
            }

            if (header.Fin)
            {
                handler.OnFrame(header.Opcode, payload, arrived);
                return true;
            }

            _messageOpcode = header.Opcode;
            _messageLength = 0;
        }
        else if (_messageOpcode == 0)
        {
            return false; // a continuation with nothing to continue
        }

        if (_messageLength + payload.Length > maxMessageBytes)
        {
            return false;
        }

        if (_message.Length < _messageLength + payload.Length)
        {
            Array.Resize(ref _message, Math.Max(_messageLength + payload.Length, Math.Max(256, _message.Length * 2)));
        }

        payload.Span.CopyTo(_message.AsSpan(_messageLength));
        _messageLength += payload.Length;
        if (header.Fin)
        {
            var opcode = _messageOpcode;
            _messageOpcode = 0;
            handler.OnFrame(opcode, _message.AsMemory(0, _messageLength), arrived);
        }

        return true;
    }

    private void Carry(ReadOnlySpan<byte> partial, long frameLength)
    {
        var size = (int)Math.Max(partial.Length, frameLength);
        if (_carry.Length < size)
        {
            _carry = new byte[Math.Max(size, 256)];
        }

        partial.CopyTo(_carry);
        _carryLength = partial.Length;
        _carryFrameLength = frameLength;
    }

    private static ReadStatus StatusOf(int n, SocketError error) => error switch
    {
        SocketError.Success => n > 0 ? ReadStatus.Data : ReadStatus.Closed,
        SocketError.WouldBlock => ReadStatus.WouldBlock,
        _ => ReadStatus.Closed,
    };
}
