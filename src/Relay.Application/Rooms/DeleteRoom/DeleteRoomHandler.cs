using Mediator;
using Relay.Application.Common.Results;
using Relay.Application.Rooms.Membership;

namespace Relay.Application.Rooms.DeleteRoom;

public sealed class DeleteRoomHandler(RoomManager rooms) : ICommandHandler<DeleteRoomCommand, Result<bool>>
{
    public async ValueTask<Result<bool>> Handle(DeleteRoomCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return await rooms.DeleteAsync(command.Id, cancellationToken) switch
        {
            MemberChange.Done => Result<bool>.Ok(true),
            MemberChange.Unavailable => Result<bool>.Unavailable("The room store is unavailable: try again shortly."),
            _ => Result<bool>.NotFound($"No room with id '{command.Id}'."),
        };
    }
}
