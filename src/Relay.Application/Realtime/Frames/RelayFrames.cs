using System.Buffers.Binary;
using System.Buffers.Text;
using Relay.Domain.Sessions;

namespace Relay.Application.Realtime.Frames;

/// <summary>
/// The relayed-message frames, built by copying the sender's bytes once: `data` is never parsed into
/// objects or re-serialised.
/// </summary>
public static class RelayFrames
{
    private static ReadOnlySpan<byte> MessagePrefix => "{\"type\":\"message\",\"from\":"u8;

    private static ReadOnlySpan<byte> DataProperty => ",\"data\":"u8;

    /// <summary>`{"type":"message","from":N,"data":&lt;data as sent&gt;}`.</summary>
    public static OutboundFrame Message(int from, ReadOnlySpan<byte> data)
    {
        Span<byte> digits = stackalloc byte[11];
        if (!Utf8Formatter.TryFormat(from, digits, out var digitCount))
        {
            throw new InvalidOperationException("A client id always fits in 11 digits.");
        }

        var length = MessagePrefix.Length + digitCount + DataProperty.Length + data.Length + 1;
        var frame = OutboundFrame.Rent(length, FrameKind.Text);
        var span = frame.WritableSpan;
        MessagePrefix.CopyTo(span);
        var at = MessagePrefix.Length;
        digits[..digitCount].CopyTo(span[at..]);
        at += digitCount;
        DataProperty.CopyTo(span[at..]);
        at += DataProperty.Length;
        data.CopyTo(span[at..]);
        at += data.Length;
        span[at] = (byte)'}';
        return frame;
    }

    /// <summary>A binary relay: 4-byte big-endian sender id, then the payload.</summary>
    public static OutboundFrame Binary(int from, ReadOnlySpan<byte> payload)
    {
        var frame = OutboundFrame.Rent(4 + payload.Length, FrameKind.Binary);
        var span = frame.WritableSpan;
        BinaryPrimitives.WriteInt32BigEndian(span, from);
        payload.CopyTo(span[4..]);
        return frame;
    }

    public static OutboundFrame For(FrameKind kind, int from, ReadOnlySpan<byte> payload) =>
        kind == FrameKind.Text ? Message(from, payload) : Binary(from, payload);
}
