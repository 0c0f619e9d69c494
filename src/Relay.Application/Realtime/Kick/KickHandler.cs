using Mediator;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Rooms.Membership;

namespace Relay.Application.Realtime.Kick;

public sealed class KickHandler(RoomMembership membership) : ICommandHandler<KickCommand, RealtimeResult>
{
    public const string DefaultReason = "kicked by the host";

    public async ValueTask<RealtimeResult> Handle(KickCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!HostOnly.TryGetHost(command.Client, out var host, out var error))
        {
            return error;
        }

        var clientId = command.ClientId!.Value;
        if (clientId == host.ClientId)
        {
            return RealtimeResult.Fail(ErrorCodes.BadRequest, "the host cannot kick itself: send leave or close_room");
        }

        var change = await membership.KickAsync(host.Room, clientId, command.Reason ?? DefaultReason, host, cancellationToken);
        return RealtimeResults.Of(change, clientId);
    }
}
