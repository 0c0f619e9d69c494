using Mediator;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.ListRooms;

/// <summary>`GET /v1/api/rooms?offset=&amp;limit=`: a page of rooms in creation order.</summary>
public sealed record ListRoomsQuery(int Offset = 0, int Limit = ListRoomsQuery.DefaultLimit) : IQuery<Result<RoomList>>
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;
}
