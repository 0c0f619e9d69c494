using System.Text.Json;

namespace Relay.Application.Rooms.UpdateRoom;

/// <summary>`PATCH /v1/api/rooms/{id}`: the body. Absent fields stay as they are.</summary>
/// <param name="MaxClients">New seat limit; lowering it below the current count keeps present clients and refuses new ones.</param>
/// <param name="Locked">A locked room refuses new connects.</param>
/// <param name="Metadata">Replaces the metadata (a JSON object of at most 4 KiB).</param>
/// <param name="ResumeWindowSeconds">The resume window for clients that drop from now on (0..3600; 0 turns resume off).</param>
public sealed record UpdateRoomRequest(int? MaxClients = null, bool? Locked = null, JsonElement? Metadata = null, int? ResumeWindowSeconds = null);
