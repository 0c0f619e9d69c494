using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Realtime.Frames;
using Relay.Domain.Connections;
using Relay.Domain.Frames;
using Relay.Domain.Rooms;

namespace Relay.Application.Realtime.Delivery;

/// <summary>
/// The one delivery path: every room event — relays (broadcast, send, REST push, from this node or another), presence
/// events and host changes — reaches this node's members here. It queues one shared frame to each member in the
/// event's audience (two for a sequenced binary relay: version 1's layout and the resume layout), records a
/// sequenced event in the room's history when this node keeps it, and counts what it delivered, one way for all.
/// Nothing here waits on a recipient or allocates per recipient.
/// </summary>
public sealed class RoomDelivery(RelayStats stats, TimeProvider timeProvider)
{
    /// <summary>
    /// Delivers a relay to this node's members in its audience (<paramref name="seq"/> 0: an unsequenced room) and counts
    /// the deliveries. Returns how many connections it was queued to.
    /// </summary>
    public int Relay(Room room, in RelayMessage relay, long seq)
    {
        ArgumentNullException.ThrowIfNull(room);
        var payload = relay.Payload.Span;
        var frame = RelayFrames.For(relay.Kind, relay.SenderId, payload, seq);
        var resumeFrame = RelayFrames.ForResumable(relay.Kind, relay.SenderId, payload, seq, room.IsSequenced);
        var delivered = Deliver(room, relay.Audience, frame, resumeFrame, seq);
        resumeFrame?.Release();
        frame.Release();
        stats.RecordDeliveries(delivered);
        return delivered;
    }

    /// <summary>
    /// Delivers a room event's frame (built by the applier) to this node's members in <paramref name="audience"/> and
    /// releases the caller's reference. Returns how many connections it was queued to.
    /// </summary>
    public int Publish(Room room, Audience audience, OutboundFrame frame, long seq)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(frame);
        var delivered = Deliver(room, audience, frame, null, seq);
        frame.Release();
        return delivered;
    }

    /// <summary>Queues a frame that is not a room event (a reply, an error, `kicked`) to one connection; releases the caller's reference.</summary>
    public static bool Reply(IConnection? connection, OutboundFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var sent = connection?.TrySend(frame) ?? false;
        frame.Release();
        return sent;
    }

    /// <summary>How many members of <paramref name="room"/> (on any node, away ones included) are in <paramref name="audience"/>.</summary>
    public static int CountAddressed(Room room, Audience audience)
    {
        ArgumentNullException.ThrowIfNull(room);
        var count = 0;
        foreach (var member in room.Members)
        {
            count += audience.Includes(member.ClientId) ? 1 : 0;
        }

        return count;
    }

    private int Deliver(Room room, Audience audience, OutboundFrame frame, OutboundFrame? resumeFrame, long seq)
    {
        var delivered = 0;
        foreach (var member in room.Members)
        {
            if (audience.Includes(member.ClientId)
                && member.TrySend(resumeFrame is not null && member.Resumable ? resumeFrame : frame))
            {
                delivered++;
            }
        }

        // Kept only while someone could come back for it: a room nobody joined with `resume: true` keeps no history
        // (a resumable joiner needs only what follows its own join).
        if (seq > 0 && room.History is { } history && room.HasResumableMembers)
        {
            history.Append(seq, audience, resumeFrame ?? frame, timeProvider.GetUtcNow(), TimeSpan.FromSeconds(room.ResumeWindowSeconds));
        }

        return delivered;
    }
}
