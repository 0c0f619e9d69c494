using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text;
using Relay.Domain.Frames;

namespace Relay.Application.Realtime.Frames;

/// <summary>
/// The relayed-message frames, built by copying the sender's bytes once: `data` is never parsed into objects or
/// re-serialised. In a sequenced room the text frame carries `seq` (every client ignores what it does not know), and a
/// binary relay has two layouts: version 1's (4-byte sender id) and the resume layout (4-byte sender id, 8-byte seq)
/// for clients that joined with `resume: true`.
/// </summary>
public static class RelayFrames
{
    /// <summary>`{"type":"message","from":`, encoded once from the wire constant.</summary>
    private static readonly byte[] MessagePrefixBytes = Encoding.UTF8.GetBytes("{\"type\":\"" + Wire.ServerTypes.Message + "\",\"from\":");

    private static ReadOnlySpan<byte> MessagePrefix => MessagePrefixBytes;

    private static ReadOnlySpan<byte> SeqProperty => ",\"seq\":"u8;

    private static ReadOnlySpan<byte> DataProperty => ",\"data\":"u8;

    /// <summary>`{"type":"message","from":N[,"seq":S],"data":&lt;data as sent&gt;}`.</summary>
    public static OutboundFrame Message(int from, ReadOnlySpan<byte> data, long seq = 0)
    {
        Span<byte> fromDigits = stackalloc byte[11];
        Span<byte> seqDigits = stackalloc byte[20];
        var fromCount = Format(from, fromDigits);
        var seqCount = seq > 0 ? Format(seq, seqDigits) : 0;
        var length = MessagePrefix.Length + fromCount + (seq > 0 ? SeqProperty.Length + seqCount : 0) + DataProperty.Length + data.Length + 1;
        var frame = OutboundFrame.Rent(length, FrameKind.Text);
        var span = frame.WritableSpan;
        MessagePrefix.CopyTo(span);
        var at = MessagePrefix.Length;
        fromDigits[..fromCount].CopyTo(span[at..]);
        at += fromCount;
        if (seq > 0)
        {
            SeqProperty.CopyTo(span[at..]);
            at += SeqProperty.Length;
            seqDigits[..seqCount].CopyTo(span[at..]);
            at += seqCount;
        }

        DataProperty.CopyTo(span[at..]);
        at += DataProperty.Length;
        data.CopyTo(span[at..]);
        at += data.Length;
        span[at] = (byte)'}';
        return frame;
    }

    /// <summary>A binary relay in version 1's layout: 4-byte big-endian sender id, then the payload.</summary>
    public static OutboundFrame Binary(int from, ReadOnlySpan<byte> payload)
    {
        var frame = OutboundFrame.Rent(Wire.Binary.SenderIdLength + payload.Length, FrameKind.Binary);
        var span = frame.WritableSpan;
        BinaryPrimitives.WriteInt32BigEndian(span, from);
        payload.CopyTo(span[Wire.Binary.SenderIdLength..]);
        return frame;
    }

    /// <summary>A binary relay for a resumable client: 4-byte big-endian sender id, 8-byte big-endian seq, then the payload.</summary>
    public static OutboundFrame SequencedBinary(int from, long seq, ReadOnlySpan<byte> payload)
    {
        var frame = OutboundFrame.Rent(Wire.Binary.SequencedHeaderLength + payload.Length, FrameKind.Binary);
        var span = frame.WritableSpan;
        BinaryPrimitives.WriteInt32BigEndian(span, from);
        BinaryPrimitives.WriteInt64BigEndian(span[Wire.Binary.SenderIdLength..], seq);
        payload.CopyTo(span[Wire.Binary.SequencedHeaderLength..]);
        return frame;
    }

    /// <summary>The frame every client gets (text), or version 1 clients get (binary).</summary>
    public static OutboundFrame For(FrameKind kind, int from, ReadOnlySpan<byte> payload, long seq = 0) =>
        kind == FrameKind.Text ? Message(from, payload, seq) : Binary(from, payload);

    /// <summary>
    /// The frame resumable clients get when it differs from <see cref="For"/>: a binary relay in a sequenced room (with
    /// seq 0 when it could not be numbered: delivered on one node during a store outage); else null.
    /// </summary>
    public static OutboundFrame? ForResumable(FrameKind kind, int from, ReadOnlySpan<byte> payload, long seq, bool sequencedRoom = true) =>
        kind == FrameKind.Binary && (seq > 0 || sequencedRoom) ? SequencedBinary(from, seq, payload) : null;

    private static int Format(long value, Span<byte> into) =>
        Utf8Formatter.TryFormat(value, into, out var written)
            ? written
            : throw new InvalidOperationException("A number always fits in 20 digits.");
}
