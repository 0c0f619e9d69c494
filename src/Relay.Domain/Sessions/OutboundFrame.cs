using System.Buffers;

namespace Relay.Domain.Sessions;

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
/// </summary>
public sealed class OutboundFrame
{
    private byte[]? _buffer;
    private readonly bool _pooled;
    private int _references = 1;

    private OutboundFrame(byte[] buffer, int length, FrameKind kind, bool pooled)
    {
        _buffer = buffer;
        Length = length;
        Kind = kind;
        _pooled = pooled;
    }

    public FrameKind Kind { get; }

    public int Length { get; }

    /// <summary>The encoded bytes; valid until the holder's reference is released.</summary>
    public ReadOnlyMemory<byte> Memory =>
        (_buffer ?? throw new ObjectDisposedException(nameof(OutboundFrame))).AsMemory(0, Length);

    /// <summary>Rents a buffer of <paramref name="length"/> bytes for the caller to fill through <see cref="WritableSpan"/>.</summary>
    public static OutboundFrame Rent(int length, FrameKind kind) =>
        new(ArrayPool<byte>.Shared.Rent(length), length, kind, pooled: true);

    /// <summary>Wraps bytes the caller will not touch again.</summary>
    public static OutboundFrame Wrap(byte[] bytes, FrameKind kind) => new(bytes, bytes.Length, kind, pooled: false);

    /// <summary>The frame's bytes, for its builder to fill before the frame is shared.</summary>
    public Span<byte> WritableSpan =>
        (_buffer ?? throw new ObjectDisposedException(nameof(OutboundFrame))).AsSpan(0, Length);

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
}
