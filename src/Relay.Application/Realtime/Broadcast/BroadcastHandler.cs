using Mediator;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Delivery;

namespace Relay.Application.Realtime.Broadcast;

/// <summary>
/// The hot path: the audience is decided once by the room's protocol, then <see cref="RoomRelays"/> hands one frame
/// to each recipient's queue. Nothing here waits on a recipient or allocates per recipient.
/// </summary>
public sealed class BroadcastHandler(RoomRelays relays) : ICommandHandler<BroadcastCommand, RealtimeResult>
{
    public ValueTask<RealtimeResult> Handle(BroadcastCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var sender = command.Client.Session;
        if (sender is null)
        {
            return ValueTask.FromResult(RealtimeResults.NotConnected);
        }

        var relay = RoomRelays.Broadcast(sender, command.Kind, command.Payload);
        var taken = relays.Relay(sender.Room, relay, relays.ReceiptFor(sender.Room, command.Client));
        return ValueTask.FromResult(taken ? RealtimeResult.Ok : RealtimeResults.Unavailable);
    }
}
