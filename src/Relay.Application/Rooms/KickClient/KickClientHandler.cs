using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.KickClient;

public sealed class KickClientHandler(IRoomManager rooms) : ICommandHandler<KickClientCommand, Result<bool>>
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

        return await rooms.KickAsync(room, command.ClientId, Reason, null, cancellationToken) switch
        {
            MemberChange.Done => Result<bool>.Ok(true),
            MemberChange.Unavailable => Result<bool>.Unavailable("The room service is unavailable: try again shortly."),
            _ => Result<bool>.NotFound($"No client {command.ClientId} in room '{command.Id}'."),
        };
    }
}
