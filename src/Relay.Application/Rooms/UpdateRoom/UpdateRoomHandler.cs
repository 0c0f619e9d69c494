using Mediator;
using Relay.Application.Common.Results;
using Relay.Application.Rooms.Membership;

namespace Relay.Application.Rooms.UpdateRoom;

public sealed class UpdateRoomHandler(RoomManager rooms) : ICommandHandler<UpdateRoomCommand, Result<RoomDetails>>
{
    public async ValueTask<Result<RoomDetails>> Handle(UpdateRoomCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var (change, room) = await rooms.UpdateAsync(command.Id, command.MaxClients, command.Locked, RoomRules.ToMetadata(command.Metadata), command.ResumeWindowSeconds, cancellationToken);
        return change switch
        {
            MemberChange.Done when room is not null => Result<RoomDetails>.Ok(RoomDetails.From(room, withClients: true)),
            MemberChange.Unavailable => Result<RoomDetails>.Unavailable("The room store is unavailable: try again shortly."),
            _ => Result<RoomDetails>.NotFound($"No room with id '{command.Id}'."),
        };
    }
}
