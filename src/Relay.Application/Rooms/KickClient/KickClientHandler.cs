using Mediator;
using Relay.Application.Common.Results;
using Relay.Application.Rooms.Membership;

namespace Relay.Application.Rooms.KickClient;

public sealed class KickClientHandler(RoomManager rooms) : ICommandHandler<KickClientCommand, Result<bool>>
{
    public const string Reason = "kicked by the server";

    public async ValueTask<Result<bool>> Handle(KickClientCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return await rooms.KickAsync(command.Id, command.ClientId, Reason, cancellationToken) switch
        {
            MemberChange.Done => Result<bool>.Ok(true),
            MemberChange.Unavailable => Result<bool>.Unavailable("The room service is unavailable: try again shortly."),
            MemberChange.RoomNotFound => Result<bool>.NotFound($"No room with id '{command.Id}'."),
            _ => Result<bool>.NotFound($"No client {command.ClientId} in room '{command.Id}'."),
        };
    }
}
