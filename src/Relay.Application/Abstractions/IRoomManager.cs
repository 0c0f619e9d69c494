using Relay.Application.Realtime.Parsing;
using Relay.Domain.Rooms;
using Relay.Domain.Sessions;

namespace Relay.Application.Abstractions;

/// <summary>
/// What a backend asks for when it creates a room (a null id or secret is generated), and the server's room
/// limit (<c>MaxRooms</c>), which the manager enforces atomically.
/// </summary>
public sealed record RoomSpec(
    string? Id,
    string? Secret,
    IRoomProtocol Protocol,
    HostAssignment HostAssignment,
    int MaxClients,
    RoomMetadata Metadata,
    int MaxRooms = int.MaxValue);

/// <summary>A new room with its secrets in clear: the only time they exist outside a hash.</summary>
public sealed record CreatedRoom(Room Room, string Secret, string HostSecret);

public enum CreateRoomStatus
{
    Created,
    IdTaken,
    LimitReached,
    Unavailable,
}

public readonly record struct CreateRoomOutcome(CreateRoomStatus Status, CreatedRoom? Created);

/// <summary>A page of rooms in creation order and the total count.</summary>
public sealed record RoomPage(IReadOnlyList<Room> Items, int Total);

/// <summary>
/// Counts over every room (of the whole cluster with a shared manager), with what the other nodes of a
/// cluster have relayed (this node's own counts are in <c>RelayStats</c>).
/// </summary>
public sealed record RoomTotals(
    int Rooms,
    int Clients,
    IReadOnlyDictionary<string, int> RoomsByProtocol,
    long MessagesRelayedElsewhere = 0,
    long BytesRelayedElsewhere = 0);

/// <summary>
/// Thrown by a shared room manager when its store cannot be reached (REST answers 503). The realtime path
/// never sees it: its operations return an <c>Unavailable</c> outcome instead.
/// </summary>
public sealed class RoomStoreUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>A backend's change to a room; null leaves a field as it is.</summary>
public sealed record RoomUpdate(int? MaxClients, bool? Locked, RoomMetadata? Metadata);

/// <summary>A connection asking to join a room with the digest of the secret it presented.</summary>
public sealed record JoinRequest(string RoomId, byte[] SecretDigest, Session Session, string? Name, MessageRef Ref);

public enum JoinOutcome
{
    Joined,
    RoomNotFound,
    InvalidSecret,
    Locked,
    Full,
    AlreadyInRoom,
    Unavailable,
}

/// <summary>The outcome of a change to one member (kick, host transfer) or to a room (close).</summary>
public enum MemberChange
{
    Done,
    RoomNotFound,
    UnknownClient,
    NotHost,
    Unavailable,
}

/// <summary>
/// The central state of rooms: the registry (create, find, list, update, delete, totals) and every change of
/// membership (join, leave, kick, host transfer, close) with the notifications it causes, plus forwarding of
/// relays to members connected elsewhere. <c>InMemoryRoomManager</c> is the single-node default;
/// <c>RedisRoomManager</c> shares all of it across a cluster of nodes.
/// </summary>
public interface IRoomManager
{
    /// <summary>False while the shared state cannot be reached (a Redis outage); the in-memory manager is always available.</summary>
    bool IsAvailable { get; }

    ValueTask<CreateRoomOutcome> CreateAsync(RoomSpec spec, CancellationToken cancellationToken);

    /// <summary>The room as REST reads show it, or null.</summary>
    ValueTask<Room?> FindAsync(string id, CancellationToken cancellationToken);

    ValueTask<RoomPage> ListAsync(int offset, int limit, CancellationToken cancellationToken);

    ValueTask<RoomTotals> GetTotalsAsync(CancellationToken cancellationToken);

    /// <summary>Applies <paramref name="update"/>; returns the updated room, or null when there is none.</summary>
    ValueTask<Room?> UpdateAsync(string id, RoomUpdate update, CancellationToken cancellationToken);

    /// <summary>
    /// Seats the request's session: checks the secret, the lock and the seats, assigns the client id and the host,
    /// queues `connected` to the joiner first and tells the other members.
    /// </summary>
    ValueTask<JoinOutcome> JoinAsync(JoinRequest request, CancellationToken cancellationToken);

    /// <summary>Takes <paramref name="session"/> out of its room (leave, disconnect, timeout) and tells the others; false when it was in none.</summary>
    ValueTask<bool> LeaveAsync(Session session, string reason, CancellationToken cancellationToken);

    /// <summary>
    /// Kicks <paramref name="clientId"/>: it gets `kicked` and close 4001, the others `client_left` `kicked`.
    /// With <paramref name="byHost"/>, only while that session is still the room's host.
    /// </summary>
    ValueTask<MemberChange> KickAsync(Room room, int clientId, string reason, Session? byHost, CancellationToken cancellationToken);

    /// <summary>Makes <paramref name="clientId"/> host while <paramref name="host"/> still is.</summary>
    ValueTask<MemberChange> TransferHostAsync(Session host, int clientId, CancellationToken cancellationToken);

    /// <summary>
    /// Closes <paramref name="room"/> for good: unregisters it, sends every member `room_closed` and closes each
    /// connection with <paramref name="closeCode"/>. <see cref="MemberChange.RoomNotFound"/> when it was already closed.
    /// </summary>
    ValueTask<MemberChange> CloseAsync(Room room, string reason, ushort closeCode, string? message, CancellationToken cancellationToken);

    /// <summary>
    /// Passes a relay that was delivered to this node's members on to the members connected elsewhere:
    /// one publish per message, whatever the number of recipients. A no-op on a single node.
    /// </summary>
    void Forward(Room room, RelayEnvelope envelope);

    /// <summary>
    /// This node is stopping: each of its clients gets `room_closed` `shutdown` and close 1001. A single node
    /// closes every room; a cluster node takes its clients out of rooms that live on (the others see
    /// `client_left` `disconnected`). Returns how many rooms this node held.
    /// </summary>
    ValueTask<int> ShutdownAsync(CancellationToken cancellationToken);

    /// <summary>The rooms with state on this node (all rooms for the in-memory manager), at one moment.</summary>
    IReadOnlyCollection<Room> Snapshot();
}

/// <summary>
/// A relay as the other nodes need it: the sender (0 for the server), the kind, the raw payload (never
/// re-serialised) and, for targeted sends, the recipients; null <see cref="To"/> means every member the room's
/// protocol lets receive a broadcast from the sender (every member for the server).
/// </summary>
public readonly record struct RelayEnvelope(FrameKind Kind, int SenderId, ReadOnlyMemory<byte> Payload, IReadOnlyList<int>? To);
