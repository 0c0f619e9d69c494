using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common.Results;
using Relay.Application.Realtime;

namespace Relay.Application.Rooms.KickClient;

public sealed class KickClientHandler(IRoomManager rooms, RoomCoordinator coordinator) : ICommandHandler<KickClientCommand, Result<bool>>
{
    public const string Reason = "kicked by the server";

    public async ValueTask<Result<bool>> Handle(KickClientCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var room = await rooms.FindAsync(command.Id, cancellationToken);
        if (room is null)
        {
            return Result<bool>.NotFound($"No room with id '{command.Id}'.");
        }

        var target = room.Find(command.ClientId);
        return target is not null && coordinator.Kick(room, target, Reason)
            ? Result<bool>.Ok(true)
            : Result<bool>.NotFound($"No client {command.ClientId} in room '{command.Id}'.");
    }
}
