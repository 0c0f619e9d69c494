using System.Text.Json;
using Relay.Application.Rooms.UpdateRoom;

namespace Relay.Api.Rooms;

/// <summary>The body of `PATCH /v1/api/rooms/{id}`. Absent fields stay as they are.</summary>
/// <param name="MaxClients">The new seat limit, 1 to `Relay:MaxClientsCap`. Lowering it below the current count keeps the clients present and refuses new ones.</param>
/// <param name="Locked">`true` refuses new connects (`room_locked`); present clients stay.</param>
/// <param name="Metadata">Replaces the metadata: a JSON object of at most `Relay:MaxMetadataBytes` (4096 by default) bytes. `null` or absent keeps it. Connected clients are not told; later `connected` messages show it.</param>
/// <param name="ResumeWindowSeconds">The resume window (0-3600) for clients that drop from now on; `0` turns resume off.</param>
public sealed record UpdateRoomRequest(int? MaxClients = null, bool? Locked = null, JsonElement? Metadata = null, int? ResumeWindowSeconds = null)
{
    public UpdateRoomCommand ToCommand(string id) => new(id, MaxClients, Locked, Metadata, ResumeWindowSeconds);
}
