using System.Buffers.Binary;
using System.Buffers.Text;

namespace Relay.LoadGen.Measurement;

/// <summary>
/// Payloads that carry their send time: text is a JSON string `"&lt;Stopwatch timestamp&gt;:xxxx..."`
/// padded to the payload size (quotes included); binary is the timestamp as 8 bytes little-endian, then padding.
/// With clients split across cluster nodes, the first padding character (after the `:` in text, byte 8 in
/// binary) carries the sending client's node as a letter (`A`, `B`, ...), so a receiver can tell a same-node
/// delivery from a cross-node one; untagged payloads keep `x` there.
/// </summary>
public static class Payloads
{
    /// <summary>Smallest payload that holds a timestamp in either mode.</summary>
    public const int MinTextSize = 22;

    public static byte[] Create(int size, bool binary)
    {
        var min = binary ? 8 : MinTextSize;
        if (size < min)
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"payloads must be at least {min} bytes in {(binary ? "binary" : "text")} mode");
        }

        var bytes = new byte[size];
        bytes.AsSpan().Fill((byte)'x');
        if (!binary)
        {
            bytes[0] = (byte)'"';
            bytes[^1] = (byte)'"';
        }

        return bytes;
    }

    /// <summary>
    /// How many leading bytes of a payload <see cref="Stamp"/> may change (text: the quote, up to 19 digits, the
    /// `:` and the tag; binary: the 8-byte timestamp and the tag); the rest stays as <see cref="Create"/> made it.
    /// </summary>
    public static int StampedBytes(bool binary) => binary ? 9 : MinTextSize;

    /// <summary>No origin tag: the padding character.</summary>
    public const byte NoTag = (byte)'x';

    /// <summary>
    /// Writes <paramref name="timestamp"/> and, where the payload has room for it, the origin
    /// <paramref name="tag"/> (<see cref="TagOf"/>) into a payload made by <see cref="Create"/>.
    /// </summary>
    public static void Stamp(byte[] payload, bool binary, long timestamp, byte tag)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (binary)
        {
            BinaryPrimitives.WriteInt64LittleEndian(payload, timestamp);
            if (payload.Length > 8)
            {
                payload[8] = tag;
            }

            return;
        }

        var span = payload.AsSpan(1, payload.Length - 2);
        span.Fill((byte)'x');
        Utf8Formatter.TryFormat(timestamp, span, out var written);
        span[written] = (byte)':';
        if (written + 1 < span.Length)
        {
            span[written + 1] = tag;
        }
    }

    /// <summary>The tag of node <paramref name="node"/> (0-based): `A`, `B`, ...</summary>
    public static byte TagOf(int node) => (byte)('A' + Math.Clamp(node, 0, 25));

    /// <summary>
    /// Reads the send timestamp and the origin node back (-1 when untagged); false when the payload is not one of ours.
    /// </summary>
    public static bool TryReadTimestamp(ReadOnlySpan<byte> payload, bool binary, out long timestamp, out int node)
    {
        node = -1;
        timestamp = 0;
        if (binary)
        {
            if (payload.Length < 8)
            {
                return false;
            }

            timestamp = BinaryPrimitives.ReadInt64LittleEndian(payload);
            if (payload.Length > 8 && payload[8] is >= (byte)'A' and <= (byte)'Z')
            {
                node = payload[8] - 'A';
            }

            return true;
        }

        if (payload.Length < 2 || payload[0] != (byte)'"' || !Utf8Parser.TryParse(payload[1..], out timestamp, out var consumed) || consumed == 0)
        {
            return false;
        }

        var at = 1 + consumed + 1; // after the ':'
        if (at < payload.Length && payload[at] is >= (byte)'A' and <= (byte)'Z')
        {
            node = payload[at] - 'A';
        }

        return true;
    }
}
