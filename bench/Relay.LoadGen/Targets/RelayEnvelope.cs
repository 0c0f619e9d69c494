using System.Text.Json;

namespace Relay.LoadGen.Targets;

/// <summary>The kinds of server text message the load generator tells apart.</summary>
internal enum Envelope
{
    Other,
    Connected,
    Message,
    Error,
}

/// <summary>Reads Relay's server text messages (`type` and the raw `data` slice) without building a DOM.</summary>
internal static class RelayEnvelope
{
    private static ReadOnlySpan<byte> MessagePrefix => "{\"type\":\"message\",\"from\":"u8;

    private static ReadOnlySpan<byte> DataProperty => ",\"data\":"u8;

    /// <summary>Finds `type` and the raw `data` slice of a server text message (any field order).</summary>
    public static Envelope Read(ReadOnlySpan<byte> utf8, out int dataStart, out int dataLength)
    {
        if (TryReadMessage(utf8, out dataStart, out dataLength))
        {
            return Envelope.Message;
        }

        return ReadAny(utf8, out dataStart, out dataLength);
    }

    /// <summary>
    /// The fast path for the one shape relays take, `{"type":"message","from":N,"data":"..."}` with a string
    /// `data` without escapes as the last field: no JSON reader, just a prefix match and a vectorised search.
    /// False for anything else (which <see cref="Read"/> then reads properly).
    /// </summary>
    public static bool TryReadMessage(ReadOnlySpan<byte> utf8, out int dataStart, out int dataLength)
    {
        dataStart = -1;
        dataLength = 0;
        if (!utf8.StartsWith(MessagePrefix) || utf8[^1] != (byte)'}')
        {
            return false;
        }

        var at = MessagePrefix.Length;
        while (at < utf8.Length && (uint)(utf8[at] - '0') <= 9)
        {
            at++;
        }

        if (!utf8[at..].StartsWith(DataProperty))
        {
            return false;
        }

        var start = at + DataProperty.Length;
        var end = utf8.Length - 1; // the closing brace
        if (start + 2 > end || utf8[start] != (byte)'"')
        {
            return false;
        }

        var close = utf8[(start + 1)..end].IndexOfAny((byte)'"', (byte)'\\');
        if (close != end - start - 2)
        {
            return false; // an escape, or more fields after data
        }

        dataStart = start;
        dataLength = end - start;
        return true;
    }

    private static Envelope ReadAny(ReadOnlySpan<byte> utf8, out int dataStart, out int dataLength)
    {
        dataStart = -1;
        dataLength = 0;
        var kind = Envelope.Other;
        try
        {
            var reader = new Utf8JsonReader(utf8);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return Envelope.Other;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    kind = reader.ValueTextEquals("message"u8) ? Envelope.Message
                        : reader.ValueTextEquals("connected"u8) ? Envelope.Connected
                        : reader.ValueTextEquals("error"u8) ? Envelope.Error
                        : Envelope.Other;
                    if (kind is not Envelope.Message)
                    {
                        return kind;
                    }
                }
                else if (reader.ValueTextEquals("data"u8))
                {
                    reader.Read();
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    dataStart = start;
                    dataLength = (int)reader.BytesConsumed - start;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return Envelope.Other;
        }

        return kind;
    }
}
