using System.Globalization;

namespace Relay.Application.Webhooks;

/// <summary>
/// One event for the backend, as it waits to be delivered. <see cref="Seq"/> is the room's sequence number of the
/// room event it reports (0 for `room.created`), so that <see cref="Id"/> — room, epoch and seq — is the same on every
/// retry and on every node, and never the same for two events (a room made again with the same id has another epoch).
/// </summary>
/// <param name="RoomId">The room.</param>
/// <param name="Epoch">The room's epoch (<see cref="Domain.Rooms.Room.Epoch"/>).</param>
/// <param name="Seq">The room event's sequence number; 0 for `room.created`.</param>
/// <param name="Type">The event type (<see cref="WebhookEventTypes"/>).</param>
/// <param name="Timestamp">When it happened (to the millisecond, as a shared store keeps it).</param>
/// <param name="Data">The JSON of its `data` object.</param>
public sealed record WebhookEvent(string RoomId, string Epoch, long Seq, string Type, DateTimeOffset Timestamp, byte[] Data)
{
    /// <summary>The `webhook-id`: unique per event, the same on every retry.</summary>
    public string Id => string.Create(CultureInfo.InvariantCulture, $"evt_{Epoch}_{Seq}_{RoomId}");
}

/// <summary>An event as a commit produces it, before it has its time and sequence number: its offset from the commit's first seq.</summary>
public readonly record struct PendingWebhook(int Offset, string Type, byte[] Data);
