using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.UpdateRoom;

public sealed class UpdateRoomHandler(IRoomManager rooms) : ICommandHandler<UpdateRoomCommand, Result<RoomDetails>>
{
    public async ValueTask<Result<RoomDetails>> Handle(UpdateRoomCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var room = await rooms.FindAsync(command.Id, cancellationToken);
        if (room is null)
        {
            return Result<RoomDetails>.NotFound($"No room with id '{command.Id}'.");
        }

        room.Update(command.MaxClients, command.Locked, RoomRules.ToMetadata(command.Metadata));
        return Result<RoomDetails>.Ok(RoomDetails.From(room, withClients: true));
    }
}
