using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Relay.Client;

/// <summary>Reads the server's frames into <see cref="ServerMessage"/>s. Never throws: unreadable frames become <see cref="UnknownServerMessage"/>.</summary>
internal static class ServerMessageParser
{
    public static ServerMessage ParseBinary(byte[] frame)
    {
        if (frame.Length < 4)
        {
            return new UnknownServerMessage("binary") { Raw = frame };
        }

        return new BinaryMessage
        {
            From = BinaryPrimitives.ReadInt32BigEndian(frame),
            Payload = frame.AsMemory(4),
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
            var name = reader.GetString();
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            switch (name)
            {
                case "type": fields.Type = StringOrNull(ref reader); break;
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
                case "data":
                    reader.Skip();
                    fields.Data = frame.AsMemory(start, (int)reader.BytesConsumed - start);
                    break;
                case "metadata":
                    reader.Skip();
                    fields.Metadata = frame.AsMemory(start, (int)reader.BytesConsumed - start);
                    break;
                case "clients":
                    reader.Skip();
                    fields.Clients = frame.AsMemory(start, (int)reader.BytesConsumed - start);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return Build(fields, frame);
    }

    private static ServerMessage Build(Fields f, byte[] frame) => f.Type switch
    {
        "message" => new DataMessage
        {
            From = f.From ?? 0,
            Data = Element(f.Data),
            RawData = f.Data,
            Raw = frame,
        },
        "connected" => new ConnectedMessage
        {
            RoomId = f.RoomId ?? "",
            ClientId = f.ClientId ?? 0,
            HostId = f.HostId,
            IsHost = f.IsHost,
            Protocol = f.Protocol ?? "",
            Metadata = Element(f.Metadata),
            Clients = f.Clients.IsEmpty ? [] : JsonSerializer.Deserialize(f.Clients.Span, RelayJsonContext.Default.RoomMemberArray) ?? [],
            Ref = f.Ref,
            OwnRef = f.OwnRef,
            Raw = frame,
        },
        "client_joined" => new ClientJoinedMessage { ClientId = f.ClientId ?? 0, Name = f.Name, Raw = frame },
        "client_left" => new ClientLeftMessage { ClientId = f.ClientId ?? 0, Reason = f.Reason ?? "", Raw = frame },
        "host_changed" => new HostChangedMessage { HostId = f.HostId, Raw = frame },
        "kicked" => new KickedMessage { Reason = f.Reason ?? "", Raw = frame },
        "room_closed" => new RoomClosedMessage { Reason = f.Reason ?? "", Message = f.Message, Raw = frame },
        "left" => new LeftMessage { Ref = f.Ref, OwnRef = f.OwnRef, Raw = frame },
        "pong" => new PongMessage { Ref = f.Ref, OwnRef = f.OwnRef, Raw = frame },
        "error" => new ErrorMessage { Code = f.Code ?? "", Message = f.Message ?? "", Ref = f.Ref, OwnRef = f.OwnRef, Raw = frame },
        _ => new UnknownServerMessage(f.Type ?? "") { Raw = frame, OwnRef = f.OwnRef },
    };

    private static JsonElement Element(ReadOnlyMemory<byte> json)
    {
        if (json.IsEmpty)
        {
            return default;
        }

        var reader = new Utf8JsonReader(json.Span);
        return JsonElement.ParseValue(ref reader);
    }

    private static string? StringOrNull(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        reader.Skip();
        return null;
    }

    private static int? IntOrNull(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) ? value : null;

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
    }
}
