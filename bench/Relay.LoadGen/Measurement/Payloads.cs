using System.Buffers.Binary;
using System.Buffers.Text;

namespace Relay.LoadGen.Measurement;

/// <summary>
/// Payloads that carry their send time: text is a JSON string `"&lt;Stopwatch timestamp&gt;:xxxx..."`
/// padded to the payload size (quotes included); binary is the timestamp as 8 bytes little-endian, then padding.
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

    /// <summary>Writes <paramref name="timestamp"/> into a payload made by <see cref="Create"/>.</summary>
    public static void Stamp(byte[] payload, bool binary, long timestamp)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (binary)
        {
            BinaryPrimitives.WriteInt64LittleEndian(payload, timestamp);
            return;
        }

        var span = payload.AsSpan(1, payload.Length - 2);
        span.Fill((byte)'x');
        Utf8Formatter.TryFormat(timestamp, span, out var written);
        span[written] = (byte)':';
    }

    /// <summary>Reads the send timestamp back; false when the payload is not one of ours.</summary>
    public static bool TryReadTimestamp(ReadOnlySpan<byte> payload, bool binary, out long timestamp)
    {
        timestamp = 0;
        if (binary)
        {
            if (payload.Length < 8)
            {
                return false;
            }

            timestamp = BinaryPrimitives.ReadInt64LittleEndian(payload);
            return true;
        }

        return payload.Length >= 2 && payload[0] == (byte)'"'
            && Utf8Parser.TryParse(payload[1..], out timestamp, out var consumed) && consumed > 0;
    }
}
