using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Results;

namespace Relay.Application.Realtime.Kick;

public sealed class KickHandler(IRoomManager rooms) : ICommandHandler<KickCommand, RealtimeResult>
{
    public const string DefaultReason = "kicked by the host";

    public async ValueTask<RealtimeResult> Handle(KickCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!HostOnly.TryGetRoom(command.Host, out var room, out var error))
        {
            return error;
        }

        var clientId = command.ClientId!.Value;
        if (clientId == command.Host.ClientId)
        {
            return RealtimeResult.Fail(ErrorCodes.BadRequest, "the host cannot kick itself: send leave or close_room");
        }

        var change = await rooms.KickAsync(room, clientId, command.Reason ?? DefaultReason, command.Host, cancellationToken);
        return MemberChanges.ToResult(change, clientId);
    }
}
