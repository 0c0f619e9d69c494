using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using Relay.Application.Protocols;
using Relay.Domain.Rooms;

namespace Relay.Application.Rooms;

/// <summary>A room as REST reads show it. Secrets never appear here.</summary>
/// <param name="Id">The room id clients pass in `connect`.</param>
/// <param name="Protocol">The relaying rules: `mesh` or `host`.</param>
/// <param name="HostAssignment">Who becomes host: `first` or `secret`.</param>
/// <param name="MaxClients">Seats in the room.</param>
/// <param name="Locked">A locked room refuses new connects.</param>
/// <param name="ResumeWindowSeconds">How long a client that joined with `resume: true` and dropped keeps its seat (0: resume off).</param>
/// <param name="Metadata">The room's metadata, exactly as the backend sent it.</param>
/// <param name="CreatedAt">When the room was created (UTC).</param>
/// <param name="HostId">The host's client id; null while the room has no host.</param>
/// <param name="ClientCount">Clients in the room.</param>
/// <param name="MessagesRelayed">Relay messages accepted in the room since it was created (broadcast, send, binary, REST push), each counted once, not once per recipient. In a cluster other nodes' relays reach it with their heartbeat.</param>
/// <param name="Clients">The clients in the room, in join order: only in a single-room read and an update's answer.</param>
public sealed record RoomDetails(
    string Id,
    [property: AllowedValues(MeshProtocol.ProtocolName, HostProtocol.ProtocolName)] string Protocol,
    [property: AllowedValues(RoomDetails.FirstHostAssignment, RoomDetails.SecretHostAssignment)] string HostAssignment,
    int MaxClients,
    bool Locked,
    int ResumeWindowSeconds,
    JsonElement Metadata,
    DateTime CreatedAt,
    int? HostId,
    int ClientCount,
    long MessagesRelayed,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<RoomClient>? Clients)
{
    /// <summary>`hostAssignment` `first`: a client joining a room without a host becomes host.</summary>
    public const string FirstHostAssignment = "first";

    /// <summary>`hostAssignment` `secret`: only a client presenting the host secret becomes host.</summary>
    public const string SecretHostAssignment = "secret";

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
            room.MessagesRelayed,
            withClients
                ? [.. members.Select(m => new RoomClient(m.ClientId, m.Name, m.ClientId == hostId, m.JoinedAt.UtcDateTime, m.UserId, m.IsAway ? true : null))]
                : null);
    }

    public static string HostAssignmentName(HostAssignment assignment) =>
        assignment == Domain.Rooms.HostAssignment.Secret ? SecretHostAssignment : FirstHostAssignment;

    internal static JsonElement MetadataElement(RoomMetadata metadata)
    {
        var reader = new Utf8JsonReader(metadata.Utf8);
        return JsonElement.ParseValue(ref reader);
    }
}

/// <summary>A client in a single-room read.</summary>
/// <param name="ClientId">The client's id in the room (from 1, in join order, never reused in the room).</param>
/// <param name="Name">The name the client gave in `connect`, or null.</param>
/// <param name="IsHost">True for the room's host.</param>
/// <param name="ConnectedAt">When the client joined (UTC).</param>
/// <param name="UserId">The user id (`sub`) of the client token it joined with; absent otherwise.</param>
/// <param name="Away">`true` while the client is away (it dropped and may resume within the room's window); absent otherwise.</param>
public sealed record RoomClient(
    int ClientId,
    string? Name,
    bool IsHost,
    DateTime ConnectedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UserId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Away = null);

/// <summary>The create response: the room with its secrets, shown this once.</summary>
/// <param name="Id">The room id clients pass in `connect`.</param>
/// <param name="Secret">The join secret: hand it to the clients. No other response shows it.</param>
/// <param name="HostSecret">The host secret: a client presenting it in `connect` becomes host. No other response shows it.</param>
/// <param name="Protocol">The relaying rules: `mesh` or `host`.</param>
/// <param name="HostAssignment">Who becomes host: `first` or `secret`.</param>
/// <param name="MaxClients">Seats in the room.</param>
/// <param name="Locked">A locked room refuses new connects (always false for a new room).</param>
/// <param name="ResumeWindowSeconds">How long a client that joined with `resume: true` and dropped keeps its seat (0: resume off).</param>
/// <param name="Metadata">The room's metadata, exactly as sent.</param>
/// <param name="CreatedAt">When the room was created (UTC).</param>
/// <param name="HostId">The host's client id: null for a new room.</param>
/// <param name="ClientCount">Clients in the room: 0 for a new room.</param>
/// <param name="MessagesRelayed">Relay messages accepted in the room: 0 for a new room.</param>
public sealed record CreatedRoomDetails(
    string Id,
    string Secret,
    string HostSecret,
    [property: AllowedValues(MeshProtocol.ProtocolName, HostProtocol.ProtocolName)] string Protocol,
    [property: AllowedValues(RoomDetails.FirstHostAssignment, RoomDetails.SecretHostAssignment)] string HostAssignment,
    int MaxClients,
    bool Locked,
    int ResumeWindowSeconds,
    JsonElement Metadata,
    DateTime CreatedAt,
    int? HostId,
    int ClientCount,
    long MessagesRelayed)
{
    public static CreatedRoomDetails From(Room room, string secret, string hostSecret)
    {
        var details = RoomDetails.From(room, withClients: false);
        return new CreatedRoomDetails(details.Id, secret, hostSecret, details.Protocol, details.HostAssignment, details.MaxClients,
            details.Locked, details.ResumeWindowSeconds, details.Metadata, details.CreatedAt, details.HostId, details.ClientCount, details.MessagesRelayed);
    }
}
