namespace Relay.Application.Rooms.ListRooms;

/// <summary>A page of rooms, in creation order.</summary>
/// <param name="Items">The rooms of this page, without `clients`.</param>
/// <param name="Total">Open rooms in all.</param>
/// <param name="Offset">Rooms skipped before this page.</param>
/// <param name="Limit">The page size asked for.</param>
public sealed record RoomList(IReadOnlyList<RoomDetails> Items, int Total, int Offset, int Limit);
