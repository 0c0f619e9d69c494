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
    int ResumeWindowSeconds,
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
            room.ResumeWindowSeconds,
            MetadataElement(room.Metadata),
            room.CreatedAt.UtcDateTime,
            hostId,
            members.Length,
            withClients
                ? [.. members.Select(m => new RoomClient(m.ClientId, m.Name, m.ClientId == hostId, m.JoinedAt.UtcDateTime, m.UserId, m.IsAway ? true : null))]
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

/// <summary>A client in a single-room read: `userId` when it joined with a client token, `away: true` while it is away.</summary>
public sealed record RoomClient(
    int ClientId,
    string? Name,
    bool IsHost,
    DateTime ConnectedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UserId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Away = null);

/// <summary>The create response: the room with its secrets, shown this once.</summary>
public sealed record CreatedRoomDetails(
    string Id,
    string Secret,
    string HostSecret,
    string Protocol,
    string HostAssignment,
    int MaxClients,
    bool Locked,
    int ResumeWindowSeconds,
    [property: JsonConverter(typeof(RawJsonConverter))] JsonElement Metadata,
    DateTime CreatedAt,
    int? HostId,
    int ClientCount)
{
    public static CreatedRoomDetails From(Room room, string secret, string hostSecret)
    {
        var details = RoomDetails.From(room, withClients: false);
        return new CreatedRoomDetails(details.Id, secret, hostSecret, details.Protocol, details.HostAssignment, details.MaxClients,
            details.Locked, details.ResumeWindowSeconds, details.Metadata, details.CreatedAt, details.HostId, details.ClientCount);
    }
}

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
