using System.Text.Json;
using Mediator;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.UpdateRoom;

public sealed record UpdateRoomCommand(string Id, int? MaxClients, bool? Locked, JsonElement? Metadata, int? ResumeWindowSeconds = null) : ICommand<Result<RoomDetails>>;
