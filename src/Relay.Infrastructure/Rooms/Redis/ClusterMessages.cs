using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Relay.Application.Abstractions;
using Relay.Domain.Sessions;

namespace Relay.Infrastructure.Rooms.Redis;

/// <summary>A membership event published by a script: its sequence number in the room, its operation and fields.</summary>
internal sealed record ClusterEvent(long Seq, char Op, string[] Fields)
{
    /// <summary>How many fields each operation has; the last one may hold newlines (names, messages, metadata).</summary>
    private static int FieldCount(char op) => op switch
    {
        'J' => 6,
        'L' => 5,
        'H' => 1,
        'C' => 3,
        'U' => 3,
        _ => 0,
    };

    /// <summary>Parses <c>E\n{seq}\n{op}\n{fields}</c>; null for anything else.</summary>
    public static ClusterEvent? Parse(ReadOnlySpan<byte> message)
    {
        if (message.Length < 2 || message[0] != (byte)'E')
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(message[2..]);
        var head = text.Split('\n', 3);
        if (head.Length < 2 || head[1].Length != 1 || !long.TryParse(head[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return null;
        }

        var op = head[1][0];
        var count = FieldCount(op);
        if (count == 0 || head.Length < 3)
        {
            return null;
        }

        var fields = head[2].Split('\n', count);
        return fields.Length == count ? new ClusterEvent(seq, op, fields) : null;
    }

    public int Int(int index) => int.Parse(Fields[index], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    public long Long(int index) => long.Parse(Fields[index], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    /// <summary>An optional string field: <c>0</c> is null, <c>1</c>+text is the text.</summary>
    public string? Optional(int index) => Flagged.Decode(Fields[index]);
}

/// <summary>Optional strings inside script arguments and events: <c>0</c> for null, <c>1</c> followed by the text.</summary>
internal static class Flagged
{
    public static string Encode(string? value) => value is null ? "0" : "1" + value;

    public static string? Decode(string value) => value.Length > 0 && value[0] == '1' ? value[1..] : null;
}

/// <summary>
/// A relay on a room's channel: <c>R</c>, the origin node, the kind, the sender, the recipients (or none for a
/// broadcast) and the payload exactly as the sender wrote it.
/// </summary>
internal static class RelayCodec
{
    public const byte Marker = (byte)'R';

    public static byte[] Encode(string node, RelayEnvelope envelope)
    {
        var nodeBytes = Encoding.UTF8.GetBytes(node);
        var to = envelope.To;
        var length = 1 + 1 + nodeBytes.Length + 1 + 4 + 4 + ((to?.Count ?? 0) * 4) + envelope.Payload.Length;
        var buffer = new byte[length];
        var span = buffer.AsSpan();
        span[0] = Marker;
        span[1] = (byte)nodeBytes.Length;
        nodeBytes.CopyTo(span[2..]);
        var at = 2 + nodeBytes.Length;
        span[at++] = (byte)envelope.Kind;
        BinaryPrimitives.WriteInt32BigEndian(span[at..], envelope.SenderId);
        at += 4;
        BinaryPrimitives.WriteInt32BigEndian(span[at..], to?.Count ?? -1);
        at += 4;
        if (to is not null)
        {
            foreach (var id in to)
            {
                BinaryPrimitives.WriteInt32BigEndian(span[at..], id);
                at += 4;
            }
        }

        envelope.Payload.Span.CopyTo(span[at..]);
        return buffer;
    }

    /// <summary>Reads a relay; false when the bytes are not one.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> message, out string node, out RelayEnvelope envelope)
    {
        node = string.Empty;
        envelope = default;
        var span = message.Span;
        if (span.Length < 2 || span[0] != Marker)
        {
            return false;
        }

        var nodeLength = span[1];
        var at = 2 + nodeLength;
        if (span.Length < at + 9)
        {
            return false;
        }

        node = Encoding.UTF8.GetString(span.Slice(2, nodeLength));
        var kind = (FrameKind)span[at++];
        var sender = BinaryPrimitives.ReadInt32BigEndian(span[at..]);
        at += 4;
        var count = BinaryPrimitives.ReadInt32BigEndian(span[at..]);
        at += 4;
        int[]? to = null;
        if (count >= 0)
        {
            if (span.Length < at + (count * 4))
            {
                return false;
            }

            to = new int[count];
            for (var i = 0; i < count; i++)
            {
                to[i] = BinaryPrimitives.ReadInt32BigEndian(span[at..]);
                at += 4;
            }
        }

        envelope = new RelayEnvelope(kind, sender, message[at..], to);
        return true;
    }
}
