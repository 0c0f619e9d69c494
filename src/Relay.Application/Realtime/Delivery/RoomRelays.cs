using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Domain.Rooms;

namespace Relay.Application.Realtime.Delivery;

/// <summary>
/// Sends a relay on its way, the same for broadcasts, sends and REST pushes: in a sequenced room through the
/// backplane's sequence (which numbers it, keeps it in the history and delivers it everywhere in order); in any other
/// room straight to this node's members through <see cref="RoomDelivery"/>, then on to other nodes only when the room
/// has members there.
/// </summary>
public sealed class RoomRelays(IRoomBackplane backplane, RoomDelivery delivery, RelayStats stats)
{
    /// <summary>
    /// False when a sequenced relay could not be taken (the store is unreachable): the sender is told `unavailable`. In a
    /// cluster a sequenced relay is numbered by the store after this returns; <paramref name="receipt"/> hears whether
    /// it was taken (see <see cref="ReceiptFor"/>).
    /// </summary>
    public bool Relay(Room room, in RelayMessage relay, IRelayReceipt? receipt = null)
    {
        ArgumentNullException.ThrowIfNull(room);
        if (room.IsSequenced)
        {
            if (!backplane.Sequence(room, relay, receipt))
            {
                if (!backplane.IsShared)
                {
                    return false;
                }

                // The store is out: the relay still reaches this node's members, unnumbered (no `seq`, seq 0 in the
                // binary header) and kept in no history; other nodes' members miss it (counted as a drop). A relay
                // with a receipt is refused through it: after the sender's earlier relays, whose outcomes may still be
                // pending, and with its own copy of the payload (a slice of the receive buffer may be reused by then).
                if (receipt is null)
                {
                    delivery.Relay(room, relay, 0);
                }
                else
                {
                    receipt.Refused(relay with { Payload = relay.Payload.ToArray() });
                }

                stats.RecordDrop();
            }
        }
        else
        {
            delivery.Relay(room, relay, 0);
            if (room.HasRemoteMembers)
            {
                backplane.Forward(room, relay);
            }
        }

        stats.RecordRelay(relay.Payload.Length);
        room.CountRelay();
        return true;
    }

    /// <summary>
    /// The receipt for a client's relay in <paramref name="room"/>: only where the store numbers relays after the
    /// handler returns (a sequenced room of a cluster); a relay it refused (a stall) still reaches this node's members,
    /// unnumbered. Null elsewhere: nothing is allocated on a single node or in an unsequenced room.
    /// </summary>
    public IRelayReceipt? ReceiptFor(Room room, ClientConnection client)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(client);
        if (!room.IsSequenced || !backplane.IsShared)
        {
            return null;
        }

        var receipt = new RelayReceipt(room, delivery, client.LastRelayOutcome);
        client.LastRelayOutcome = receipt.Done;
        return receipt;
    }

    /// <summary>
    /// The audience of a broadcast from <paramref name="sender"/> under its room's protocol, with the host read once. In
    /// a sequenced room a non-host's broadcast in a `host` room goes to whoever is host at its place in the sequence.
    /// </summary>
    public static RelayMessage Broadcast(Session sender, Domain.Frames.FrameKind kind, ReadOnlyMemory<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(sender);
        var room = sender.Room;
        var hostId = room.HostId;
        var audience = room.Protocol.BroadcastAudience(sender.ClientId, hostId);
        var toHost = room.IsSequenced && audience.Kind == AudienceKind.One && audience.Only == hostId;
        return new RelayMessage(kind, sender.ClientId, payload, audience, toHost);
    }
}
