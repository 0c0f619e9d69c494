using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Relay.Client;

/// <summary>Reads the server's frames into <see cref="ServerMessage"/>s. Never throws: unreadable frames become <see cref="UnknownServerMessage"/>.</summary>
internal static class ServerMessageParser
{
    /// <summary>The property names read, matched on the UTF-8 bytes so that no name is allocated per message.</summary>
    private static readonly KnownText[] PropertyNames = KnownText.Of(
        "type", "roomId", "clientId", "hostId", "from", "isHost", "protocol", "name", "reason", "message", "code", "ref", "data", "metadata", "clients",
        "seq", "resumeToken", "missed", "userId");

    /// <summary>The message types (every one the server sends), likewise shared rather than allocated per message.</summary>
    private static readonly KnownText[] MessageTypes = KnownText.Of(
        Wire.ServerTypes.Message,
        Wire.ServerTypes.Connected,
        Wire.ServerTypes.Resumed,
        Wire.ServerTypes.ClientJoined,
        Wire.ServerTypes.ClientLeft,
        Wire.ServerTypes.ClientAway,
        Wire.ServerTypes.ClientBack,
        Wire.ServerTypes.HostChanged,
        Wire.ServerTypes.Kicked,
        Wire.ServerTypes.RoomClosed,
        Wire.ServerTypes.Left,
        Wire.ServerTypes.Pong,
        Wire.ServerTypes.Error);

    /// <summary>
    /// A binary relay: the 4-byte big-endian sender id then the payload, or, when <paramref name="sequenced"/> (this
    /// client joined with resume on), sender id, 8-byte big-endian seq (0: not numbered) and payload.
    /// </summary>
    public static ServerMessage ParseBinary(byte[] frame, bool sequenced = false)
    {
        var header = sequenced ? Wire.Binary.SequencedHeaderLength : Wire.Binary.SenderIdLength;
        if (frame.Length < header)
        {
            return new UnknownServerMessage("binary") { Raw = frame };
        }

        var seq = sequenced ? BinaryPrimitives.ReadInt64BigEndian(frame.AsSpan(Wire.Binary.SenderIdLength)) : 0;
        return new BinaryMessage
        {
            From = BinaryPrimitives.ReadInt32BigEndian(frame),
            Payload = frame.AsMemory(header),
            Seq = seq > 0 ? seq : null,
            Raw = frame,
        };
    }

    public static ServerMessage ParseText(byte[] frame)
    {
        try
        {
            return Read(frame);
        }
        catch (JsonException)
        {
            // The server always sends valid JSON; a frame that is not is reported, not fatal.
            return new UnknownServerMessage("invalid") { Raw = frame };
        }
    }

    private static ServerMessage Read(byte[] frame)
    {
        var fields = new Fields();
        var reader = new Utf8JsonReader(frame);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return new UnknownServerMessage("invalid") { Raw = frame };
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = KnownText.Find(ref reader, PropertyNames);
            reader.Read();
            switch (name)
            {
                case "type": fields.Type = StringOrNull(ref reader, MessageTypes); break;
                case "roomId": fields.RoomId = StringOrNull(ref reader); break;
                case "clientId": fields.ClientId = IntOrNull(ref reader); break;
                case "hostId": fields.HostId = IntOrNull(ref reader); break;
                case "from": fields.From = IntOrNull(ref reader); break;
                case "isHost": fields.IsHost = reader.TokenType == JsonTokenType.True; break;
                case "protocol": fields.Protocol = StringOrNull(ref reader); break;
                case "name": fields.Name = StringOrNull(ref reader); break;
                case "reason": fields.Reason = StringOrNull(ref reader); break;
                case "message": fields.Message = StringOrNull(ref reader); break;
                case "code": fields.Code = StringOrNull(ref reader); break;
                case "ref":
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        fields.Ref = reader.GetString();
                    }
                    else if (reader.TokenType == JsonTokenType.Number)
                    {
                        fields.Ref = Encoding.UTF8.GetString(reader.ValueSpan);
                        fields.OwnRef = reader.TryGetInt64(out var number) ? number : null;
                    }

                    break;
                case "data": fields.Data = RawValue(ref reader, frame); break;
                case "metadata": fields.Metadata = RawValue(ref reader, frame); break;
                case "clients": fields.Clients = RawValue(ref reader, frame); break;
                case "seq": fields.Seq = PositiveLongOrNull(ref reader); break;
                case "resumeToken": fields.ResumeToken = StringOrNull(ref reader); break;
                case "missed": fields.Missed = IntOrNull(ref reader); break;
                case "userId": fields.UserId = StringOrNull(ref reader); break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return Build(fields, frame);
    }

    private static ServerMessage Build(Fields f, byte[] frame) => f.Type switch
    {
        Wire.ServerTypes.Message => new DataMessage
        {
            From = f.From ?? 0,
            Data = Element(f.Data),
            RawData = f.Data,
            Seq = f.Seq,
            Raw = frame,
        },
        Wire.ServerTypes.Connected => new ConnectedMessage
        {
            RoomId = f.RoomId ?? "",
            ClientId = f.ClientId ?? 0,
            HostId = f.HostId,
            IsHost = f.IsHost,
            Protocol = f.Protocol ?? "",
            Metadata = Element(f.Metadata),
            Clients = Members(f.Clients),
            Ref = f.Ref,
            Seq = f.Seq,
            ResumeToken = f.ResumeToken,
            OwnRef = f.OwnRef,
            Raw = frame,
        },
        Wire.ServerTypes.Resumed => new ResumedMessage
        {
            RoomId = f.RoomId ?? "",
            ClientId = f.ClientId ?? 0,
            HostId = f.HostId,
            IsHost = f.IsHost,
            Protocol = f.Protocol ?? "",
            Metadata = Element(f.Metadata),
            Clients = Members(f.Clients),
            Ref = f.Ref,
            Seq = f.Seq,
            ResumeToken = f.ResumeToken,
            Missed = f.Missed ?? 0,
            OwnRef = f.OwnRef,
            Raw = frame,
        },
        Wire.ServerTypes.ClientJoined => new ClientJoinedMessage { ClientId = f.ClientId ?? 0, Name = f.Name, UserId = f.UserId, Seq = f.Seq, Raw = frame },
        Wire.ServerTypes.ClientLeft => new ClientLeftMessage { ClientId = f.ClientId ?? 0, Reason = f.Reason ?? "", Seq = f.Seq, Raw = frame },
        Wire.ServerTypes.ClientAway => new ClientAwayMessage { ClientId = f.ClientId ?? 0, Seq = f.Seq, Raw = frame },
        Wire.ServerTypes.ClientBack => new ClientBackMessage { ClientId = f.ClientId ?? 0, Seq = f.Seq, Raw = frame },
        Wire.ServerTypes.HostChanged => new HostChangedMessage { HostId = f.HostId, Seq = f.Seq, Raw = frame },
        Wire.ServerTypes.Kicked => new KickedMessage { Reason = f.Reason ?? "", Raw = frame },
        Wire.ServerTypes.RoomClosed => new RoomClosedMessage { Reason = f.Reason ?? "", Message = f.Message, Raw = frame },
        Wire.ServerTypes.Left => new LeftMessage { Ref = f.Ref, OwnRef = f.OwnRef, Raw = frame },
        Wire.ServerTypes.Pong => new PongMessage { Ref = f.Ref, OwnRef = f.OwnRef, Raw = frame },
        Wire.ServerTypes.Error => new ErrorMessage { Code = f.Code ?? "", Message = f.Message ?? "", Ref = f.Ref, OwnRef = f.OwnRef, Raw = frame },
        _ => new UnknownServerMessage(f.Type ?? "") { Raw = frame },
    };

    private static RoomMember[] Members(ReadOnlyMemory<byte> clients) =>
        clients.IsEmpty ? [] : JsonSerializer.Deserialize(clients.Span, RelayJsonContext.Default.RoomMemberArray) ?? [];

    private static JsonElement Element(ReadOnlyMemory<byte> json)
    {
        if (json.IsEmpty)
        {
            return default;
        }

        var reader = new Utf8JsonReader(json.Span);
        return JsonElement.ParseValue(ref reader);
    }

    /// <summary>The value's bytes as they stand in <paramref name="frame"/>, reading past it.</summary>
    private static ReadOnlyMemory<byte> RawValue(ref Utf8JsonReader reader, byte[] frame)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return frame.AsMemory(start, (int)reader.BytesConsumed - start);
    }

    private static string? StringOrNull(ref Utf8JsonReader reader, KnownText[]? known = null)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return (known is null ? null : KnownText.Find(ref reader, known)) ?? reader.GetString();
        }

        reader.Skip();
        return null;
    }

    private static long? PositiveLongOrNull(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) && value > 0)
        {
            return value;
        }

        reader.Skip();
        return null;
    }

    private static int? IntOrNull(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) ? value : null;

    /// <summary>A string with its UTF-8 bytes, to match a token without allocating it.</summary>
    private sealed record KnownText(byte[] Utf8, string Text)
    {
        public static KnownText[] Of(params string[] texts) => [.. texts.Select(t => new KnownText(Encoding.UTF8.GetBytes(t), t))];

        /// <summary>The shared string equal to the current token's text, or null when none is.</summary>
        public static string? Find(ref Utf8JsonReader reader, KnownText[] known)
        {
            foreach (var candidate in known)
            {
                if (reader.ValueTextEquals(candidate.Utf8))
                {
                    return candidate.Text;
                }
            }

            return null;
        }
    }

    private struct Fields
    {
        public string? Type;
        public string? RoomId;
        public int? ClientId;
        public int? HostId;
        public int? From;
        public bool IsHost;
        public string? Protocol;
        public string? Name;
        public string? Reason;
        public string? Message;
        public string? Code;
        public string? Ref;
        public long? OwnRef;
        public ReadOnlyMemory<byte> Data;
        public ReadOnlyMemory<byte> Metadata;
        public ReadOnlyMemory<byte> Clients;
        public long? Seq;
        public string? ResumeToken;
        public int? Missed;
        public string? UserId;
    }
}
