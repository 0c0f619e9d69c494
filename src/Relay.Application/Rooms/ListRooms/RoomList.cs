namespace Relay.Application.Rooms.ListRooms;

/// <summary>A page of rooms.</summary>
public sealed record RoomList(IReadOnlyList<RoomDetails> Items, int Total, int Offset, int Limit);
