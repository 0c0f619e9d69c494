using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Relay.Application.Common;
using Relay.Application.Common.Results;

namespace Relay.Application.Realtime.Parsing;

/// <summary>
/// Reads the envelope of a client text message with <see cref="Utf8JsonReader"/>: no DOM, no copies of `data`.
/// Checks that the message is valid UTF-8 JSON, an object, and that each known field has the right JSON type;
/// range checks are the validators' job. Whatever the bytes, it returns a result: it never throws.
/// </summary>
public static class ClientMessageParser
{
    public const int MaxRefLength = 64;

    /// <summary>The wire names of the client message types, the relays first (the most frequent).</summary>
    private static readonly (JsonEncodedText Name, ClientMessageType Type)[] Types =
    [
        (Wire.EncodedClientTypes.Broadcast, ClientMessageType.Broadcast),
        (Wire.EncodedClientTypes.Send, ClientMessageType.Send),
        (Wire.EncodedClientTypes.Connect, ClientMessageType.Connect),
        (Wire.EncodedClientTypes.Ping, ClientMessageType.Ping),
        (Wire.EncodedClientTypes.Leave, ClientMessageType.Leave),
        (Wire.EncodedClientTypes.Kick, ClientMessageType.Kick),
        (Wire.EncodedClientTypes.TransferHost, ClientMessageType.TransferHost),
        (Wire.EncodedClientTypes.Resume, ClientMessageType.Resume),
        (Wire.EncodedClientTypes.CloseRoom, ClientMessageType.CloseRoom),
    ];

    /// <summary>Parses <paramref name="utf8"/>; on failure the result carries `bad_request` or `unknown_type`.</summary>
    public static RealtimeResult Parse(ReadOnlyMemory<byte> utf8, int maxDepth, out ClientMessage message)
    {
        message = default;
        var span = utf8.Span;
        if (!Utf8.IsValid(span))
        {
            return Bad("message is not valid UTF-8");
        }

        try
        {
            return ParseCore(utf8, maxDepth, ref message);
        }
        catch (JsonException)
        {
            // Utf8JsonReader reports malformed JSON only by throwing; it becomes an error frame here.
            message = default;
            return Bad("message is not valid JSON");
        }
        catch (InvalidOperationException) when (HasSurrogateEscape(span))
        {
            // A name or string escaping half of a UTF-16 surrogate pair (`\ud800` alone) is valid JSON syntax but
            // no text: Utf8JsonReader refuses to unescape it, again only by throwing.
            message = default;
            return Bad("message has a \\u escape of an unpaired UTF-16 surrogate (\\ud800-\\udfff)");
        }
    }

    /// <summary>Whether <paramref name="utf8"/> holds a `\u` escape of a surrogate code unit (D800-DFFF).</summary>
    private static bool HasSurrogateEscape(ReadOnlySpan<byte> utf8)
    {
        while (utf8.IndexOf("\\u"u8) is var at and >= 0)
        {
            utf8 = utf8[(at + 2)..];
            if (utf8.Length >= 2 && utf8[0] is (byte)'d' or (byte)'D' && utf8[1] is (>= (byte)'8' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f') or (>= (byte)'A' and <= (byte)'F'))
            {
                return true;
            }
        }

        return false;
    }

    private static RealtimeResult ParseCore(ReadOnlyMemory<byte> utf8, int maxDepth, ref ClientMessage message)
    {
        var reader = new Utf8JsonReader(utf8.Span, new JsonReaderOptions
        {
            MaxDepth = maxDepth,
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
        });

        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            // Read the rest so that malformed input is reported as invalid JSON rather than as a non-object.
            while (reader.Read())
            {
            }

            return Bad("message must be a JSON object");
        }

        RealtimeResult fieldError = default;
        var typeSeen = false;
        string? unknownType = null;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                typeSeen = true;
                if (reader.TokenType != JsonTokenType.String)
                {
                    fieldError = Keep(fieldError, "type must be a string");
                }
                else
                {
                    message.Type = ReadType(ref reader);
                    if (message.Type == ClientMessageType.None)
                    {
                        unknownType = reader.GetString();
                    }
                }
            }
            else if (reader.ValueTextEquals("ref"u8))
            {
                reader.Read();
                fieldError = Keep(fieldError, ReadRef(ref reader, utf8, ref message));
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                message.Data = utf8[start..(int)reader.BytesConsumed];
                message.HasData = true;
            }
            else if (reader.ValueTextEquals("roomId"u8))
            {
                fieldError = Keep(fieldError, ReadString(ref reader, "roomId", out message.RoomId));
            }
            else if (reader.ValueTextEquals("secret"u8))
            {
                fieldError = Keep(fieldError, ReadString(ref reader, "secret", out message.Secret));
            }
            else if (reader.ValueTextEquals("name"u8))
            {
                fieldError = Keep(fieldError, ReadString(ref reader, "name", out message.Name));
            }
            else if (reader.ValueTextEquals("reason"u8))
            {
                fieldError = Keep(fieldError, ReadString(ref reader, "reason", out message.Reason));
            }
            else if (reader.ValueTextEquals("clientId"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var id))
                {
                    message.ClientId = id;
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    reader.Skip();
                    fieldError = Keep(fieldError, "clientId must be an integer");
                }
            }
            else if (reader.ValueTextEquals("to"u8))
            {
                reader.Read();
                fieldError = Keep(fieldError, ReadTo(ref reader, ref message));
            }
            else if (reader.ValueTextEquals("token"u8))
            {
                fieldError = Keep(fieldError, ReadString(ref reader, "token", out message.Token));
            }
            else if (reader.ValueTextEquals("seq"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var seq) && !ContainsFractionOrExponent(reader.ValueSpan))
                {
                    message.Seq = seq;
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    reader.Skip();
                    fieldError = Keep(fieldError, "seq must be an integer");
                }
            }
            else if (reader.ValueTextEquals("resume"u8))
            {
                reader.Read();
                if (reader.TokenType is JsonTokenType.True or JsonTokenType.False)
                {
                    message.Resume = reader.TokenType == JsonTokenType.True;
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    reader.Skip();
                    fieldError = Keep(fieldError, "resume must be a boolean");
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        // Anything after the object (a second value, garbage) makes Read throw, reported as invalid JSON.
        while (reader.Read())
        {
        }

        if (!typeSeen)
        {
            return fieldError.IsError ? fieldError : Bad("type is required");
        }

        if (unknownType is not null)
        {
            message.Type = ClientMessageType.None;
            return RealtimeResult.Fail(ErrorCodes.UnknownType, $"unknown message type '{Truncate(unknownType, 64)}'");
        }

        return fieldError;
    }

    private static ClientMessageType ReadType(ref Utf8JsonReader reader)
    {
        foreach (var (name, type) in Types)
        {
            if (reader.ValueTextEquals(name.EncodedUtf8Bytes))
            {
                return type;
            }
        }

        return ClientMessageType.None;
    }

    private static string? ReadRef(ref Utf8JsonReader reader, ReadOnlyMemory<byte> utf8, ref ClientMessage message)
    {
        var start = (int)reader.TokenStartIndex;
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                var length = reader.ValueIsEscaped ? reader.GetString()!.Length : Encoding.UTF8.GetCharCount(reader.ValueSpan);
                if (length > MaxRefLength)
                {
                    return $"ref must be a string of at most {MaxRefLength} characters or an integer";
                }

                message.Ref = new MessageRef(utf8[start..(int)reader.BytesConsumed]);
                return null;
            case JsonTokenType.Number when reader.TryGetInt64(out _) && !ContainsFractionOrExponent(reader.ValueSpan):
                message.Ref = new MessageRef(utf8[start..(int)reader.BytesConsumed]);
                return null;
            default:
                reader.Skip();
                return $"ref must be a string of at most {MaxRefLength} characters or an integer";
        }
    }

    private static bool ContainsFractionOrExponent(ReadOnlySpan<byte> number) => number.IndexOfAny((byte)'.', (byte)'e', (byte)'E') >= 0;

    private static string? ReadString(ref Utf8JsonReader reader, string field, out string? value)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            value = reader.GetString();
            return null;
        }

        value = null;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        reader.Skip();
        return $"{field} must be a string";
    }

    private static string? ReadTo(ref Utf8JsonReader reader, ref ClientMessage message)
    {
        const string Error = "to must be an array of client ids";
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return Error;
        }

        var ids = new List<int>();
        string? error = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var id))
            {
                ids.Add(id);
            }
            else
            {
                reader.Skip();
                error = Error;
            }
        }

        message.To = error is null ? [.. ids] : null;
        return error;
    }

    private static RealtimeResult Keep(RealtimeResult first, string? error) =>
        first.IsError || error is null ? first : Bad(error);

    private static RealtimeResult Bad(string message) => RealtimeResult.Fail(ErrorCodes.BadRequest, message);

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max] + "…";
}
