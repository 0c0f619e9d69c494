using Mediator;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.DeleteRoom;

/// <summary>`DELETE /v1/api/rooms/{id}`: clients get `room_closed` `deleted` and close 4000.</summary>
public sealed record DeleteRoomCommand(string Id) : ICommand<Result<bool>>;
