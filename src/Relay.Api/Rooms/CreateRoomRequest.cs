using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Relay.Application.Protocols;
using Relay.Application.Rooms;
using Relay.Application.Rooms.CreateRoom;

namespace Relay.Api.Rooms;

/// <summary>The body of `POST /v1/api/rooms`. Every field is optional: an empty body creates a room with the defaults.</summary>
/// <param name="Id">The room id: 1-64 characters of `A-Z a-z 0-9 _ -`, generated when absent. A taken id is a 409.</param>
/// <param name="Secret">The join secret clients present in `connect`: 8-256 characters, generated when absent.</param>
/// <param name="Protocol">The relaying rules: `mesh` (the default: every client may broadcast and send to any other) or `host` (clients talk only to the host; the host talks to everyone).</param>
/// <param name="HostAssignment">Who becomes host: `first` (the default: a client joining a room without a host) or `secret` (only a client presenting the room's `hostSecret`).</param>
/// <param name="MaxClients">Seats in the room: 1 to the server's `Relay:MaxClientsCap` (1000 by default). `Relay:DefaultMaxClients` (16 by default) when absent.</param>
/// <param name="Metadata">A JSON object of at most `Relay:MaxMetadataBytes` (4096 by default) bytes, shown to clients in `connected` and in REST reads exactly as sent. `{}` when absent or null.</param>
/// <param name="ResumeWindowSeconds">How long a client that joined with `resume: true` and dropped keeps its seat to come back (0-3600; `0` turns resume off and with it `seq` on room events). `Relay:Resume:WindowSeconds` (30 by default) when absent.</param>
public sealed record CreateRoomRequest(
    string? Id = null,
    string? Secret = null,
    [property: AllowedValues(MeshProtocol.ProtocolName, HostProtocol.ProtocolName)] string? Protocol = null,
    [property: AllowedValues(RoomDetails.FirstHostAssignment, RoomDetails.SecretHostAssignment)] string? HostAssignment = null,
    int? MaxClients = null,
    JsonElement? Metadata = null,
    int? ResumeWindowSeconds = null)
{
    public CreateRoomCommand ToCommand() => new(Id, Secret, Protocol, HostAssignment, MaxClients, Metadata, ResumeWindowSeconds);
}
