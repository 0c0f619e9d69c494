using Relay.Domain.Rooms;

namespace Relay.Application.Abstractions;

/// <summary>
/// What a backplane hands committed events and relays to, in the room's order: the room manager's applier, which
/// changes this node's copy of the room and tells its members.
/// </summary>
public interface IRoomEventSink
{
    /// <summary>Applies a committed membership event numbered <paramref name="seq"/> to this node's copy.</summary>
    void Apply(Room room, RoomEvent roomEvent, long seq);

    /// <summary>Delivers a relay to this node's members of <paramref name="room"/> (<paramref name="seq"/> 0 when unsequenced).</summary>
    void DeliverRelay(Room room, in RelayMessage relay, long seq);

    /// <summary>
    /// Builds a copy of a room from a store's snapshot. A <paramref name="live"/> copy (one this node keeps up to date)
    /// seats the joins of this node still waiting for their event; a read-only one lists every member as a stand-in.
    /// </summary>
    Room Build(RoomSnapshot snapshot, bool live);

    /// <summary>
    /// Brings a copy in line with a snapshot after events were missed, telling its members what changed; a
    /// <paramref name="live"/> copy also seats the joins of this node that are still waiting for their event.
    /// </summary>
    void Reconcile(Room room, RoomSnapshot snapshot, bool live);
}
