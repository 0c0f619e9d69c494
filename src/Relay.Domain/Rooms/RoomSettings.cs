namespace Relay.Domain.Rooms;

/// <summary>What a room is made with.</summary>
public sealed record RoomSettings(
    string Id,
    SecretHash Secret,
    SecretHash HostSecret,
    IRoomProtocol Protocol,
    HostAssignment HostAssignment,
    int MaxClients,
    RoomMetadata Metadata,
    int ResumeWindowSeconds,
    string Epoch);
