using Relay.Domain.Rooms;

namespace Relay.Application.Abstractions;

/// <summary>
/// Where rooms are stored, how their events are ordered, and how events and relays reach every node that holds a
/// copy. A backplane never decides anything: the rules are <see cref="Room"/>'s, applied by the room manager; a
/// backplane commits what was decided (refusing a decision based on an out-of-date copy), and hands each committed
/// event, in order, to the <see cref="IRoomEventSink"/> of every node that holds the room.
/// <c>InMemoryBackplane</c> is the single-node default; <c>RedisBackplane</c> shares rooms across a cluster.
/// </summary>
public interface IRoomBackplane
{
    /// <summary>This node's id (events name the node holding a member's connection).</summary>
    string NodeId { get; }

    /// <summary>True when other nodes share the rooms (a cluster).</summary>
    bool IsShared { get; }

    /// <summary>False while the shared state cannot be reached within the time budget (a Redis outage or stall).</summary>
    bool IsAvailable { get; }

    /// <summary>Connects the sink that applies committed events; called once, before any other call.</summary>
    void Attach(IRoomEventSink sink);

    /// <summary>Stores a new room (its id must be free and the room count under <paramref name="maxRooms"/>).</summary>
    ValueTask<CreateRoomStatus> CreateAsync(Room room, int maxRooms, CancellationToken cancellationToken);

    /// <summary>The room as it is now, for a read (not necessarily a copy this node keeps), or null.</summary>
    ValueTask<Room?> ReadAsync(string roomId, CancellationToken cancellationToken);

    ValueTask<RoomPage> ListAsync(int offset, int limit, CancellationToken cancellationToken);

    ValueTask<RoomTotals> TotalsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// This node's live copy of the room, kept up to date by the room's events until <see cref="Release"/>; loads it
    /// if needed. Null when there is no such room.
    /// </summary>
    ValueTask<Room?> AcquireAsync(string roomId, CancellationToken cancellationToken);

    /// <summary>This node no longer needs the copy it acquired (it may keep it a while).</summary>
    void Release(Room room);

    /// <summary>
    /// Commits <paramref name="roomEvent"/>, decided against <paramref name="room"/> at <paramref name="version"/>. It
    /// returns once the event is committed and applied to this node's copy, or says why it was not committed.
    /// </summary>
    ValueTask<CommitResult> CommitAsync(Room room, RoomEvent roomEvent, long version, CancellationToken cancellationToken);

    /// <summary>
    /// Before a refusal is answered: brings this node's copy up to the version the store holds. True when the copy was
    /// behind (the caller decides again); false when it was current (or the store keeps no other copy).
    /// </summary>
    ValueTask<bool> RefreshAsync(Room room, CancellationToken cancellationToken);

    /// <summary>
    /// Commits a member's return (<paramref name="back"/>, decided at <paramref name="version"/>) together with reading
    /// every room event after <paramref name="afterSeq"/> that the member would have received: both, or neither when the
    /// history no longer holds all of them or <paramref name="clientSeq"/> is above the room's latest.
    /// </summary>
    ValueTask<ResumeCommit> CommitResumeAsync(Room room, MemberBack back, long version, long afterSeq, long clientSeq, CancellationToken cancellationToken);

    /// <summary>
    /// A relay in a room without sequence numbers: delivered here by the caller already, passed on to the members
    /// connected elsewhere (no-op on a single node).
    /// </summary>
    void Forward(Room room, in RelayMessage relay);

    /// <summary>
    /// A relay in a sequenced room: it gets the room's next sequence number, goes into the room's history and reaches
    /// every member (those of this node too) through <see cref="IRoomEventSink.DeliverRelay"/>, in sequence order.
    /// False when it could not be taken (the store is unreachable). A store that numbers relays on its own time tells
    /// <paramref name="receipt"/> later whether it took it; a single node delivers it before returning.
    /// </summary>
    bool Sequence(Room room, in RelayMessage relay, IRelayReceipt? receipt);

    /// <summary>The rooms with a copy on this node.</summary>
    IReadOnlyCollection<Room> Held { get; }
}
