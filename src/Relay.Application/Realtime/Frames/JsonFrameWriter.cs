using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Relay.Domain.Frames;

namespace Relay.Application.Realtime.Frames;

/// <summary>
/// A per-thread <see cref="Utf8JsonWriter"/> over a reusable buffer, for building control frames without
/// allocating a writer each time. Use: <c>var w = JsonFrameWriter.Start(Wire.EncodedServerTypes.Pong); ...; return JsonFrameWriter.Finish(w);</c>
/// (the message type comes pre-encoded from <see cref="Wire.EncodedServerTypes"/>, so nothing is transcoded per frame).
/// </summary>
internal static class JsonFrameWriter
{
    private static readonly JsonWriterOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = false,
    };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static Utf8JsonWriter Start(JsonEncodedText type)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(512);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, Options);
        writer.Reset(buffer);
        writer.WriteStartObject();
        writer.WriteString("type"u8, type);
        return writer;
    }

    public static OutboundFrame Finish(Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        writer.Flush();
        var written = t_buffer!.WrittenSpan;
        var frame = OutboundFrame.Rent(written.Length, FrameKind.Text);
        written.CopyTo(frame.WritableSpan);
        return frame;
    }
}
