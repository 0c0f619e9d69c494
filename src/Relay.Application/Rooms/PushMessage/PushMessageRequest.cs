using System.Text.Json;

namespace Relay.Application.Rooms.PushMessage;

/// <summary>`POST /v1/api/rooms/{id}/messages`: the body.</summary>
/// <param name="Data">Any JSON value, relayed as sent.</param>
/// <param name="To">Client ids to send to (1-64); every client when absent. Ids not in the room are skipped.</param>
public sealed record PushMessageRequest(JsonElement Data, IReadOnlyList<int>? To = null);
