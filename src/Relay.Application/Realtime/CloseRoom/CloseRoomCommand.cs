using Mediator;
using Relay.Application.Common.Results;

namespace Relay.Application.Realtime.CloseRoom;

/// <summary>`close_room` (host only): everyone gets `room_closed` `closed_by_host` and close 4000; the room is deleted.</summary>
public sealed record CloseRoomCommand(ClientConnection Client, string? Reason) : ICommand<RealtimeResult>;
