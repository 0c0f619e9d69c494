using Relay.Domain.Rooms;

namespace Relay.Application.Abstractions;

public enum CreateRoomStatus
{
    Created,
    IdTaken,
    LimitReached,
    Unavailable,
}

/// <summary>A page of rooms in creation order and the total count.</summary>
public sealed record RoomPage(IReadOnlyList<Room> Items, int Total);

/// <summary>
/// Counts over every room (of the whole cluster with a shared store), with what the cluster has relayed beyond
/// this node's own counts (which are in <c>RelayStats</c>).
/// </summary>
public sealed record RoomTotals(
    int Rooms,
    int Clients,
    IReadOnlyDictionary<string, int> RoomsByProtocol,
    long MessagesRelayedElsewhere = 0,
    long BytesRelayedElsewhere = 0);
