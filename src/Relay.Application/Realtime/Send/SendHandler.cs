using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Delivery;
using Relay.Domain.Rooms;

namespace Relay.Application.Realtime.Send;

/// <summary>
/// Relays to the listed clients. All targets are checked first (present, allowed by the protocol), so a send is
/// delivered to all of them or to none; a client listed twice gets it once.
/// </summary>
public sealed class SendHandler(RoomRelays relays) : ICommandHandler<SendCommand, RealtimeResult>
{
    public ValueTask<RealtimeResult> Handle(SendCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return ValueTask.FromResult(Relay(command));
    }

    private RealtimeResult Relay(SendCommand command)
    {
        var sender = command.Client.Session;
        if (sender is null)
        {
            return RealtimeResults.NotConnected;
        }

        var room = sender.Room;
        var hostId = room.HostId;
        var to = command.To!;
        for (var i = 0; i < to.Count; i++)
        {
            if (room.Find(to[i]) is null)
            {
                return RealtimeResult.Fail(ErrorCodes.UnknownClient, $"client {to[i]} is not in the room");
            }

            if (!room.Protocol.MaySend(sender.ClientId, to[i], hostId))
            {
                return RealtimeResult.Fail(ErrorCodes.Forbidden, $"the {room.Protocol.Name} protocol does not allow sending to client {to[i]}");
            }
        }

        var relay = new RelayMessage(command.Kind, sender.ClientId, command.Payload, Audience.Listed(to));
        return relays.Relay(room, relay, relays.ReceiptFor(room, command.Client)) ? RealtimeResult.Ok : RealtimeResults.Unavailable;
    }
}
