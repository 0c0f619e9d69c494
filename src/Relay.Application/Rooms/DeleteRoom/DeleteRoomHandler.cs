using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Domain.Sessions;

namespace Relay.Application.Rooms.DeleteRoom;

public sealed class DeleteRoomHandler(IRoomManager rooms) : ICommandHandler<DeleteRoomCommand, Result<bool>>
{
    public async ValueTask<Result<bool>> Handle(DeleteRoomCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var room = await rooms.FindAsync(command.Id, cancellationToken);
        var change = room is null
            ? MemberChange.RoomNotFound
            : await rooms.CloseAsync(room, RoomClosedReasons.Deleted, CloseCodes.RoomClosed, null, cancellationToken);
        return change switch
        {
            MemberChange.Done => Result<bool>.Ok(true),
            MemberChange.Unavailable => Result<bool>.Unavailable("The room store is unavailable: try again shortly."),
            _ => Result<bool>.NotFound($"No room with id '{command.Id}'."),
        };
    }
}
