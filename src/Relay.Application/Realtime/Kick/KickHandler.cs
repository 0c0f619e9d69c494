using Mediator;
using Relay.Application.Common;
using Relay.Application.Common.Results;

namespace Relay.Application.Realtime.Kick;

public sealed class KickHandler(RoomCoordinator coordinator) : ICommandHandler<KickCommand, RealtimeResult>
{
    public const string DefaultReason = "kicked by the host";

    public ValueTask<RealtimeResult> Handle(KickCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return ValueTask.FromResult(Kick(command));
    }

    private RealtimeResult Kick(KickCommand command)
    {
        if (!HostOnly.TryGetRoom(command.Host, out var room, out var error))
        {
            return error;
        }

        var clientId = command.ClientId!.Value;
        if (clientId == command.Host.ClientId)
        {
            return RealtimeResult.Fail(ErrorCodes.BadRequest, "the host cannot kick itself: send leave or close_room");
        }

        var target = room.Find(clientId);
        if (target is null || !coordinator.Kick(room, target, command.Reason ?? DefaultReason))
        {
            return RealtimeResult.Fail(ErrorCodes.UnknownClient, $"client {clientId} is not in the room");
        }

        return RealtimeResult.Ok;
    }
}
