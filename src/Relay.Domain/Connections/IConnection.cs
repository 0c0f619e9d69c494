using Relay.Domain.Frames;

namespace Relay.Domain.Connections;

/// <summary>
/// One client connection as the rest of the server sees it: a WebSocket today, anything that carries frames
/// tomorrow. It only moves bytes: queue, write, close. It knows nothing of rooms. Implementations never block the
/// caller: sending only enqueues.
/// </summary>
public interface IConnection
{
    /// <summary>Server-wide id of the connection (for logs).</summary>
    long Id { get; }

    /// <summary>
    /// The current membership epoch. A room member records it when it is attached to this connection, and sends
    /// with <see cref="TrySend(OutboundFrame, int)"/>; <see cref="EndEpoch"/> ends it when the member leaves.
    /// </summary>
    int Epoch { get; }

    /// <summary>
    /// Queues <paramref name="frame"/> for writing and takes a reference to it when accepted. Returns false when the
    /// connection is closing or its queue overflowed (which closes it).
    /// </summary>
    bool TrySend(OutboundFrame frame);

    /// <summary>
    /// Like <see cref="TrySend(OutboundFrame)"/>, but only while the membership epoch is still
    /// <paramref name="epoch"/>, checked atomically with the enqueue: a relay that raced the member's departure never
    /// lands behind its `left` or `room_closed`.
    /// </summary>
    bool TrySend(OutboundFrame frame, int epoch);

    /// <summary>
    /// Queues a frame of a returning client's replay (what it missed, already held by the room's history): it is
    /// written before anything queued after it but does not count against the send-queue limits, which bound what
    /// a slow client makes the server keep, not what the history keeps anyway.
    /// </summary>
    bool TrySendReplay(OutboundFrame frame);

    /// <summary>
    /// Ends the current membership epoch. When it returns, every <see cref="TrySend(OutboundFrame, int)"/> with the
    /// old epoch has either finished queueing or will refuse, so what the caller queues next comes after them.
    /// </summary>
    void EndEpoch();

    /// <summary>Writes what is queued, then closes with <paramref name="code"/>. Idempotent: the first close wins.</summary>
    void Close(ushort code, string reason);
}
