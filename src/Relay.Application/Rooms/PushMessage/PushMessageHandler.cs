using System.Text;
using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Delivery;
using Relay.Application.Rooms.Membership;
using Relay.Domain.Frames;
using Relay.Domain.Rooms;

namespace Relay.Application.Rooms.PushMessage;

/// <summary>
/// Relays a backend's message to the room's clients as `message` from 0 (the server), through the same path as a
/// client's relay. `recipients` counts the addressed members of the whole room (on every node, away ones included).
/// </summary>
public sealed class PushMessageHandler(RoomMembership membership, IRoomBackplane backplane, RoomRelays relays)
    : ICommandHandler<PushMessageCommand, Result<PushMessageResult>>
{
    public const int ServerClientId = 0;

    public async ValueTask<Result<PushMessageResult>> Handle(PushMessageCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var (room, unavailable) = await membership.AcquireAsync(command.Id, cancellationToken);
        if (room is null)
        {
            return unavailable
                ? Result<PushMessageResult>.Unavailable("The room store is unavailable: try again shortly.")
                : Result<PushMessageResult>.NotFound($"No room with id '{command.Id}'.");
        }

        try
        {
            var data = Encoding.UTF8.GetBytes(command.Data.GetRawText());
            var audience = command.To is null ? Audience.Everyone : Audience.Listed(command.To);
            var recipients = RoomDelivery.CountAddressed(room, audience);
            var receipt = new AwaitedReceipt();
            var taken = relays.Relay(room, new RelayMessage(FrameKind.Text, ServerClientId, data, audience), receipt)
                && (!room.IsSequenced || !backplane.IsShared || await receipt.Outcome.Task);
            return taken
                ? Result<PushMessageResult>.Ok(new PushMessageResult(recipients))
                : Result<PushMessageResult>.Unavailable("The room store is unavailable: try again shortly.");
        }
        finally
        {
            backplane.Release(room);
        }
    }

    /// <summary>A backend's push answers only once the store took (or refused) it.</summary>
    private sealed class AwaitedReceipt : IRelayReceipt
    {
        public TaskCompletionSource<bool> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Taken() => Outcome.TrySetResult(true);

        public void Refused(in RelayMessage relay) => Outcome.TrySetResult(false);
    }
}
