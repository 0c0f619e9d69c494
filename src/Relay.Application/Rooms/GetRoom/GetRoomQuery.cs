using Mediator;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.GetRoom;

/// <summary>`GET /v1/api/rooms/{id}`: one room with its clients.</summary>
public sealed record GetRoomQuery(string Id) : IQuery<Result<RoomDetails>>;
