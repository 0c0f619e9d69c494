using Relay.Application.Webhooks;
using Relay.Domain.Rooms;

namespace Relay.Infrastructure.Webhooks;

/// <summary>
/// The single node's outbox: the in-memory backplane tells it of every room it creates and every event it commits,
/// and it queues their webhook events on this node's <see cref="WebhookDispatcher"/>. Nothing of it survives a crash
/// (docs/operations.md says what that loses); a cluster keeps its events in Redis instead.
/// </summary>
public sealed class LocalWebhooks(WebhookPayloads payloads, WebhookDispatcher dispatcher, TimeProvider timeProvider)
{
    [ThreadStatic]
    private static List<PendingWebhook>? t_pending;

    /// <summary>A room was created.</summary>
    public void Created(Room room)
    {
        ArgumentNullException.ThrowIfNull(room);
        if (payloads.Created(room) is { } created)
        {
            Enqueue(room, 0, created);
        }
    }

    /// <summary><paramref name="e"/> was committed in <paramref name="room"/> with first sequence number <paramref name="seq"/>.</summary>
    public void Committed(Room room, RoomEvent e, long seq)
    {
        ArgumentNullException.ThrowIfNull(room);
        var pending = t_pending ??= new List<PendingWebhook>(2);
        pending.Clear();
        payloads.Collect(room.Id, e, pending);
        foreach (var p in pending)
        {
            Enqueue(room, seq, p);
        }

        pending.Clear();
    }

    private void Enqueue(Room room, long seq, PendingWebhook p) =>
        dispatcher.TryEnqueue(new WebhookEvent(
            room.Id, room.Epoch, seq + p.Offset, p.Type, DateTimeOffset.FromUnixTimeMilliseconds(timeProvider.GetUtcNow().ToUnixTimeMilliseconds()), p.Data));
}
