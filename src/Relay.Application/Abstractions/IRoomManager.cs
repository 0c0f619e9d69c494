using Relay.Domain.Rooms;

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
}

public readonly record struct CreateRoomOutcome(CreateRoomStatus Status, CreatedRoom? Created);

/// <summary>A page of rooms in creation order and the total count.</summary>
public sealed record RoomPage(IReadOnlyList<Room> Items, int Total);

/// <summary>
/// The central state of rooms: create, find, list, remove, and a snapshot for the summary and for sweeps.
/// In-memory today; a Redis implementation shares it across nodes.
/// </summary>
public interface IRoomManager
{
    ValueTask<CreateRoomOutcome> CreateAsync(RoomSpec spec, CancellationToken cancellationToken);

    ValueTask<Room?> FindAsync(string id, CancellationToken cancellationToken);

    ValueTask<RoomPage> ListAsync(int offset, int limit, CancellationToken cancellationToken);

    /// <summary>Unregisters <paramref name="room"/> (only that instance); false when it was already gone.</summary>
    bool Remove(Room room);

    /// <summary>Every registered room, at one moment.</summary>
    IReadOnlyCollection<Room> Snapshot();
}
