using Relay.Domain.Rooms;

namespace Relay.Domain.Sessions;

/// <summary>
/// The connection under a <see cref="Session"/>: a WebSocket today, anything that carries frames tomorrow.
/// Implementations never block the caller: sending only enqueues.
/// </summary>
public interface ISessionTransport
{
    /// <summary>
    /// Queues <paramref name="frame"/> for writing and takes a reference to it when accepted.
    /// Returns false when the connection is closing or its queue overflowed (which closes it).
    /// </summary>
    bool TrySend(OutboundFrame frame);

    /// <summary>
    /// Like <see cref="TrySend(OutboundFrame)"/>, but only while <paramref name="member"/> is still in
    /// <paramref name="room"/>, checked atomically with the enqueue against <see cref="OnLeftRoom"/>: a relay
    /// that raced the member's departure never lands behind its `left` or `room_closed`.
    /// </summary>
    bool TrySend(OutboundFrame frame, Session member, Room room);

    /// <summary>Writes what is queued, then closes with <paramref name="code"/>. Idempotent: the first close wins.</summary>
    void Close(ushort code, string reason);

    /// <summary>
    /// Called when the session leaves its room (after it is detached, before anything about it is queued), so the
    /// transport can order itself after relays in flight and restart its connect timer.
    /// </summary>
    void OnLeftRoom();
}
