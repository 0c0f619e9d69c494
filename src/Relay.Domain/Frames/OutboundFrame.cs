using System.Buffers;
using System.Buffers.Binary;

namespace Relay.Domain.Frames;

/// <summary>How a frame goes on the wire: a UTF-8 JSON text message or an opaque binary message.</summary>
public enum FrameKind : byte
{
    Text,
    Binary,
}

/// <summary>
/// One encoded server-to-client message, built once and shared by every recipient.
/// The frame is reference counted: its creator holds one reference, each outbound queue that accepts it
/// takes another, and the pooled buffer goes back to the pool when the last holder releases it.
/// The buffer keeps room in front of the payload for the RFC 6455 frame header, written once at creation,
/// so a WebSocket transport can copy <see cref="WireMemory"/> to the socket as is: server frames are not
/// masked, so the bytes are the same for every recipient.
/// </summary>
public sealed class OutboundFrame
{
    /// <summary>The longest server frame header: 2 bytes plus an 8-byte extended length.</summary>
    public const int MaxHeaderLength = 10;

    private byte[]? _buffer;
    private readonly bool _pooled;
    private readonly int _headerStart;
    private int _references = 1;

    private OutboundFrame(byte[] buffer, int length, FrameKind kind, bool pooled)
    {
        _buffer = buffer;
        Length = length;
        Kind = kind;
        _pooled = pooled;
        _headerStart = WriteHeader(buffer, length, kind);
    }

    public FrameKind Kind { get; }

    /// <summary>The payload length in bytes.</summary>
    public int Length { get; }

    /// <summary>The length of <see cref="WireMemory"/>: header and payload.</summary>
    public int WireLength => MaxHeaderLength - _headerStart + Length;

    /// <summary>The payload; valid until the holder's reference is released.</summary>
    public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(MaxHeaderLength, Length);

    /// <summary>The payload as one final, unmasked RFC 6455 frame (header and payload).</summary>
    public ReadOnlyMemory<byte> WireMemory => Buffer.AsMemory(_headerStart, WireLength);

    /// <summary>The frame's payload, for its builder to fill before the frame is shared.</summary>
    public Span<byte> WritableSpan => Buffer.AsSpan(MaxHeaderLength, Length);

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(OutboundFrame));

    /// <summary>Rents a buffer for a payload of <paramref name="length"/> bytes for the caller to fill through <see cref="WritableSpan"/>.</summary>
    public static OutboundFrame Rent(int length, FrameKind kind)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return new OutboundFrame(ArrayPool<byte>.Shared.Rent(MaxHeaderLength + length), length, kind, pooled: true);
    }

    /// <summary>A frame holding a copy of <paramref name="payload"/> (not pooled; for rare frames and tests).</summary>
    public static OutboundFrame Wrap(ReadOnlySpan<byte> payload, FrameKind kind)
    {
        var buffer = new byte[MaxHeaderLength + payload.Length];
        payload.CopyTo(buffer.AsSpan(MaxHeaderLength));
        return new OutboundFrame(buffer, payload.Length, kind, pooled: false);
    }

    public void AddReference() => Interlocked.Increment(ref _references);

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0)
        {
            return;
        }

        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (_pooled && buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes the header right before the payload; returns where it starts.</summary>
    private static int WriteHeader(byte[] buffer, int length, FrameKind kind)
    {
        var opcode = (byte)(0x80 | (kind == FrameKind.Text ? 0x1 : 0x2));
        if (length < 126)
        {
            buffer[MaxHeaderLength - 2] = opcode;
            buffer[MaxHeaderLength - 1] = (byte)length;
            return MaxHeaderLength - 2;
        }

        if (length <= ushort.MaxValue)
        {
            buffer[MaxHeaderLength - 4] = opcode;
            buffer[MaxHeaderLength - 3] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(MaxHeaderLength - 2), (ushort)length);
            return MaxHeaderLength - 4;
        }

        buffer[0] = opcode;
        buffer[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(2), (ulong)length);
        return 0;
    }
}
