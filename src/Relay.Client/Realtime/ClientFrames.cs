using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;

namespace Relay.Client;

/// <summary>Writes the client's text and binary frames.</summary>
internal static class ClientFrames
{
    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="utf8Json"/> is exactly one JSON value.</summary>
    public static void ValidateJson(ReadOnlySpan<byte> utf8Json, string parameterName)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            if (reader.Read() && reader.TrySkip() && !reader.Read())
            {
                return;
            }
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"The data is not valid JSON: {ex.Message}", parameterName, ex);
        }

        throw new ArgumentException("The data must be exactly one JSON value.", parameterName);
    }

    /// <summary>Runs <paramref name="write"/> on a fresh writer and returns the UTF-8 bytes.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> write, int sizeHint = 256)
    {
        var buffer = new ArrayBufferWriter<byte>(sizeHint);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A text message: <c>{"type":...,"ref":...,(fields)}</c>.</summary>
    public static byte[] Message(JsonEncodedText type, MessageRef reference, Action<Utf8JsonWriter>? fields = null, int sizeHint = 256) =>
        Write(
            writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, type);
                reference.WriteTo(writer);
                fields?.Invoke(writer);
                writer.WriteEndObject();
            },
            sizeHint);

    /// <summary>A message with <c>data</c>: <c>{"type":...,"ref":...,"to":[...],"data":...}</c>.</summary>
    public static byte[] DataMessage(JsonEncodedText type, MessageRef reference, IEnumerable<int>? to, Action<Utf8JsonWriter> writeData, int sizeHint = 256) =>
        Message(
            type,
            reference,
            writer =>
            {
                WriteClientIds(writer, to);
                writer.WritePropertyName("data"u8);
                writeData(writer);
            },
            sizeHint);

    /// <summary>Writes <paramref name="utf8Json"/>, already validated, as-is.</summary>
    public static Action<Utf8JsonWriter> RawValue(ReadOnlyMemory<byte> utf8Json) =>
        writer => writer.WriteRawValue(utf8Json.Span, skipInputValidation: true);

    /// <summary>Writes <c>"to":[...]</c>, or nothing when <paramref name="to"/> is null.</summary>
    public static void WriteClientIds(Utf8JsonWriter writer, IEnumerable<int>? to)
    {
        if (to is null)
        {
            return;
        }

        writer.WriteStartArray("to"u8);
        foreach (var id in to)
        {
            writer.WriteNumberValue(id);
        }

        writer.WriteEndArray();
    }

    /// <summary>A binary broadcast: <c>0x00</c> + payload.</summary>
    public static byte[] BinaryBroadcastFrame(ReadOnlySpan<byte> payload)
    {
        var frame = new byte[1 + payload.Length];
        frame[0] = Wire.Binary.Broadcast;
        payload.CopyTo(frame.AsSpan(1));
        return frame;
    }

    /// <summary>A binary send: <c>0x01</c> + 4-byte big-endian client id + payload.</summary>
    public static byte[] BinarySendFrame(int to, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[1 + Wire.Binary.SenderIdLength + payload.Length];
        frame[0] = Wire.Binary.Send;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1, Wire.Binary.SenderIdLength), to);
        payload.CopyTo(frame.AsSpan(1 + Wire.Binary.SenderIdLength));
        return frame;
    }
}

/// <summary>A message's <c>ref</c>: none, a caller's string, or one of the client's own integers.</summary>
internal readonly record struct MessageRef(string? Text, long? Number)
{
    public static MessageRef FromText(string? text)
    {
        if (text is { Length: > 64 })
        {
            throw new ArgumentException("A ref has at most 64 characters.", nameof(text));
        }

        return new MessageRef(text, null);
    }

    public void WriteTo(Utf8JsonWriter writer)
    {
        if (Number is { } number)
        {
            writer.WriteNumber("ref"u8, number);
        }
        else if (Text is not null)
        {
            writer.WriteString("ref"u8, Text);
        }
    }
}
