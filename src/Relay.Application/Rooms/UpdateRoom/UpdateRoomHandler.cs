using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.UpdateRoom;

public sealed class UpdateRoomHandler(IRoomManager rooms) : ICommandHandler<UpdateRoomCommand, Result<RoomDetails>>
{
    public async ValueTask<Result<RoomDetails>> Handle(UpdateRoomCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var update = new RoomUpdate(command.MaxClients, command.Locked, RoomRules.ToMetadata(command.Metadata));
        var room = await rooms.UpdateAsync(command.Id, update, cancellationToken);
        return room is null
            ? Result<RoomDetails>.NotFound($"No room with id '{command.Id}'.")
            : Result<RoomDetails>.Ok(RoomDetails.From(room, withClients: true));
    }
}
