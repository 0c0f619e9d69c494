using System.Text.Json;
using System.Text.Json.Serialization;
using Relay.Domain.Rooms;

namespace Relay.Application.Rooms;

/// <summary>A room as REST reads show it. Secrets never appear here.</summary>
public sealed record RoomDetails(
    string Id,
    string Protocol,
    string HostAssignment,
    int MaxClients,
    bool Locked,
    [property: JsonConverter(typeof(RawJsonConverter))] JsonElement Metadata,
    DateTime CreatedAt,
    int? HostId,
    int ClientCount,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<RoomClient>? Clients)
{
    public static RoomDetails From(Room room, bool withClients)
    {
        ArgumentNullException.ThrowIfNull(room);
        var members = room.Members.ToArray();
        var hostId = room.HostId;
        return new RoomDetails(
            room.Id,
            room.Protocol.Name,
            HostAssignmentName(room.HostAssignment),
            room.MaxClients,
            room.Locked,
            MetadataElement(room.Metadata),
            room.CreatedAt.UtcDateTime,
            hostId,
            members.Length,
            withClients
                ? [.. members.Select(m => new RoomClient(m.ClientId, m.Name, m.ClientId == hostId, m.JoinedAt.UtcDateTime))]
                : null);
    }

    public static string HostAssignmentName(HostAssignment assignment) =>
        assignment == Domain.Rooms.HostAssignment.Secret ? "secret" : "first";

    internal static JsonElement MetadataElement(RoomMetadata metadata)
    {
        var reader = new Utf8JsonReader(metadata.Utf8);
        return JsonElement.ParseValue(ref reader);
    }
}

/// <summary>A connected client in a single-room read.</summary>
public sealed record RoomClient(int ClientId, string? Name, bool IsHost, DateTime ConnectedAt);

/// <summary>The create response: the room with its secrets, shown this once.</summary>
public sealed record CreatedRoomDetails(
    string Id,
    string Secret,
    string HostSecret,
    string Protocol,
    string HostAssignment,
    int MaxClients,
    bool Locked,
    [property: JsonConverter(typeof(RawJsonConverter))] JsonElement Metadata,
    DateTime CreatedAt,
    int? HostId,
    int ClientCount);

/// <summary>Writes a parsed JSON value as its original text (metadata is shown exactly as the backend sent it).</summary>
public sealed class RawJsonConverter : JsonConverter<JsonElement>
{
    public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonElement.ParseValue(ref reader);

    public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteRawValue(value.GetRawText(), skipInputValidation: true);
    }
}
