using Mediator;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Frames;

namespace Relay.Application.Realtime.TransferHost;

public sealed class TransferHostHandler : ICommandHandler<TransferHostCommand, RealtimeResult>
{
    public ValueTask<RealtimeResult> Handle(TransferHostCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return ValueTask.FromResult(Transfer(command));
    }

    private static RealtimeResult Transfer(TransferHostCommand command)
    {
        if (!HostOnly.TryGetRoom(command.Host, out var room, out var error))
        {
            return error;
        }

        var clientId = command.ClientId!.Value;
        lock (room.Gate)
        {
            // Checked again under the gate: the host may have been replaced, or the target may be leaving.
            if (!command.Host.IsHost)
            {
                return RealtimeResult.Fail(ErrorCodes.NotHost, "only the host may do this");
            }

            if (clientId == command.Host.ClientId)
            {
                return RealtimeResult.Ok;
            }

            if (!room.TransferHost(clientId))
            {
                return RealtimeResult.Fail(ErrorCodes.UnknownClient, $"client {clientId} is not in the room");
            }

            RoomCoordinator.Publish(room, ServerFrames.HostChanged(clientId));
        }

        return RealtimeResult.Ok;
    }
}
