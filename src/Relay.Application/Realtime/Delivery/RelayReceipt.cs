using Relay.Application.Abstractions;
using Relay.Domain.Rooms;

namespace Relay.Application.Realtime.Delivery;

/// <summary>
/// A client's relay that the store did not take in time (a stall: it will not be numbered later either, its deadline
/// has passed): like any relay of a sequenced room while the store is out, it still reaches this node's members,
/// unnumbered.
/// </summary>
internal sealed class RelayReceipt(Room room, RoomDelivery delivery) : IRelayReceipt
{
    public void Taken()
    {
    }

    public void Refused(in RelayMessage relay) => delivery.Relay(room, relay, 0);
}
