using Relay.Application.Abstractions;
using Relay.Domain.Rooms;

namespace Relay.Application.Realtime.Delivery;

/// <summary>
/// A client's relay that the store numbers after the handler returned. One it did not take in time (a stall: it will
/// not be numbered later either, its deadline has passed) still reaches this node's members, unnumbered, like any relay
/// of a sequenced room while the store is out. Outcomes are acted on in the order the client sent its relays (each
/// receipt waits for the one before), so refused relays keep the sender's order.
/// </summary>
internal sealed class RelayReceipt(Room room, RoomDelivery delivery, Task previous) : IRelayReceipt
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once this relay's outcome has been acted on.</summary>
    public Task Done => _done.Task;

    public void Taken() => After(static (_, _) => { }, default);

    public void Refused(in RelayMessage relay) => After(static (receipt, r) => receipt.Deliver(r), relay);

    private void Deliver(RelayMessage relay) => delivery.Relay(room, relay, 0);

    private void After(Action<RelayReceipt, RelayMessage> act, RelayMessage relay)
    {
        if (previous.IsCompleted)
        {
            act(this, relay);
            _done.TrySetResult();
            return;
        }

        previous.ContinueWith(
            _ =>
            {
                act(this, relay);
                _done.TrySetResult();
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }
}
