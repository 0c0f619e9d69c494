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
/// masked, so the bytes are the same for every recipient. For connections that negotiated `permessage-deflate`, the
/// frame also has a compressed wire form (<see cref="WireMemoryFor"/>), made the first time such a connection writes
/// it and shared by all of them.
/// </summary>
public sealed class OutboundFrame
{
    /// <summary>The longest server frame header: 2 bytes plus an 8-byte extended length.</summary>
    public const int MaxHeaderLength = 10;

    private byte[]? _buffer;
    private readonly bool _pooled;
    private readonly int _headerStart;
    private int _references = 1;

    /// <summary>Whether the compressed form is still to be made, being made, made, or not worth it (see <see cref="WireMemoryFor"/>).</summary>
    private int _deflateState;

    /// <summary>The compressed form's pooled buffer (header included), where it starts, and its length.</summary>
    private byte[]? _deflated;
    private int _deflatedStart;
    private int _deflatedLength;
    private int _deflatedPayloadLength;

    private const int DeflateUnsettled = 0;
    private const int DeflateSettling = 1;
    private const int DeflateDone = 2;
    private const int DeflatePlain = 3;

    private OutboundFrame(byte[] buffer, int length, FrameKind kind, bool pooled)
    {
        _buffer = buffer;
        Length = length;
        Kind = kind;
        _pooled = pooled;
        _headerStart = WriteHeader(buffer, length, FirstHeaderByte(kind));
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

    /// <summary>
    /// The wire form for a connection that compresses with <paramref name="compression"/> (null: one that does not):
    /// for a payload of at least <see cref="FrameCompression.MinBytes"/>, the payload deflated (RFC 7692) in one
    /// final frame with RSV1 set, unless deflating does not make it shorter; otherwise <see cref="WireMemory"/>. The
    /// compressed form is made once, by the first connection that asks (one that asks meanwhile waits for it), and
    /// the same bytes serve every later one; it is returned to the pool with the frame. Valid until the holder's
    /// reference is released. A frame is compressed with the first <paramref name="compression"/> it is given.
    /// </summary>
    public ReadOnlyMemory<byte> WireMemoryFor(FrameCompression? compression)
    {
        if (compression is null || Length < compression.MinBytes)
        {
            return WireMemory;
        }

        var state = Volatile.Read(ref _deflateState);
        if (state is DeflateUnsettled or DeflateSettling)
        {
            state = Settle(compression);
        }

        return state == DeflateDone
            ? (_deflated ?? throw new ObjectDisposedException(nameof(OutboundFrame))).AsMemory(_deflatedStart, _deflatedLength)
            : WireMemory;
    }

    /// <summary>
    /// The payload bytes a connection that compresses with <paramref name="compression"/> sent of this frame, once
    /// it has written <see cref="WireMemoryFor"/>: the compressed length if that form was sent, else <see cref="Length"/>.
    /// </summary>
    public int SentLength(FrameCompression? compression) =>
        compression is not null && Length >= compression.MinBytes && Volatile.Read(ref _deflateState) == DeflateDone
            ? _deflatedPayloadLength
            : Length;

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

        if (Interlocked.Exchange(ref _deflated, null) is { } deflated)
        {
            ArrayPool<byte>.Shared.Return(deflated);
        }
    }

    /// <summary>
    /// Makes the compressed form if nobody has (or waits for the one making it) and returns the settled state:
    /// <see cref="DeflateDone"/> or <see cref="DeflatePlain"/>.
    /// </summary>
    private int Settle(FrameCompression compression)
    {
        if (Interlocked.CompareExchange(ref _deflateState, DeflateSettling, DeflateUnsettled) != DeflateUnsettled)
        {
            // Another connection's writer is compressing it: that takes as long as one compression, at most.
            var spin = default(SpinWait);
            int state;
            while ((state = Volatile.Read(ref _deflateState)) == DeflateSettling)
            {
                spin.SpinOnce();
            }

            return state;
        }

        var settled = DeflatePlain;
        var deflated = ArrayPool<byte>.Shared.Rent(MaxHeaderLength + Length + 4);
        try
        {
            var length = compression.Deflate(Memory.Span, deflated, MaxHeaderLength);
            if (length >= 0)
            {
                // RSV1 marks a compressed message (RFC 7692 6).
                _deflatedStart = WriteHeader(deflated, length, (byte)(FirstHeaderByte(Kind) | 0x40));
                _deflatedLength = MaxHeaderLength - _deflatedStart + length;
                _deflatedPayloadLength = length;
                _deflated = deflated;
                settled = DeflateDone;
            }
        }
        finally
        {
            if (settled == DeflatePlain)
            {
                ArrayPool<byte>.Shared.Return(deflated);
            }

            Volatile.Write(ref _deflateState, settled);
        }

        return settled;
    }

    /// <summary>The first header byte of a final, uncompressed frame of <paramref name="kind"/>.</summary>
    private static byte FirstHeaderByte(FrameKind kind) => (byte)(0x80 | (kind == FrameKind.Text ? 0x1 : 0x2));

    /// <summary>Writes the header (<paramref name="firstByte"/> its first byte: FIN, RSV1 and opcode) right before the payload; returns where it starts.</summary>
    private static int WriteHeader(byte[] buffer, int length, byte firstByte)
    {
        if (length < 126)
        {
            buffer[MaxHeaderLength - 2] = firstByte;
            buffer[MaxHeaderLength - 1] = (byte)length;
            return MaxHeaderLength - 2;
        }

        if (length <= ushort.MaxValue)
        {
            buffer[MaxHeaderLength - 4] = firstByte;
            buffer[MaxHeaderLength - 3] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(MaxHeaderLength - 2), (ushort)length);
            return MaxHeaderLength - 4;
        }

        buffer[0] = firstByte;
        buffer[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(2), (ulong)length);
        return 0;
    }
}
