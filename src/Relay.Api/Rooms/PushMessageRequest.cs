using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Relay.Application.Rooms.PushMessage;

namespace Relay.Api.Rooms;

/// <summary>The body of `POST /v1/api/rooms/{id}/messages`.</summary>
/// <param name="Data">Any JSON value, relayed to the clients exactly as sent, as `{"type":"message","from":0,"data":...}`.</param>
/// <param name="To">1-64 client ids to send to; every client in the room when absent. Ids not in the room are skipped, not an error.</param>
public sealed record PushMessageRequest([property: Required] JsonElement Data, IReadOnlyList<int>? To = null)
{
    public PushMessageCommand ToCommand(string id) => new(id, Data, To);
}
