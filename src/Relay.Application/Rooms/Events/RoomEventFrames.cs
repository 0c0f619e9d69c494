using Relay.Application.Realtime.Frames;
using Relay.Domain.Frames;
using Relay.Domain.Rooms;

namespace Relay.Application.Rooms.Events;

/// <summary>A room event as a client sees it: the frame, who gets it, and its `seq` (0 in an unsequenced room).</summary>
public readonly record struct EventFrame(Audience Audience, OutboundFrame Frame, long Seq);

/// <summary>
/// The room events (`client_joined`, `client_left`, `client_away`, `client_back`, `host_changed`) a membership event
/// shows clients, numbered from the event's first sequence number: the one definition used both when an event is
/// applied live and when a returning client's missed events are rebuilt from a shared store's history.
/// </summary>
public static class RoomEventFrames
{
    /// <summary>Adds the frames of <paramref name="e"/> (each the caller's to release) to <paramref name="into"/>.</summary>
    /// <param name="e">The event.</param>
    /// <param name="seq">Its first sequence number as clients see it (0: not shown).</param>
    /// <param name="into">Where the frames go, in order.</param>
    public static void Of(RoomEvent e, long seq, List<EventFrame> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var second = seq > 0 ? seq + 1 : 0;
        switch (e)
        {
            case MemberJoined j:
                into.Add(new EventFrame(Audience.AllBut(j.ClientId), ServerFrames.ClientJoined(j.ClientId, j.Name, j.UserId, seq), seq));
                if (j.BecomesHost)
                {
                    into.Add(new EventFrame(Audience.AllBut(j.ClientId), ServerFrames.HostChanged(j.ClientId, second), second));
                }

                break;
            case MemberLeft l:
                into.Add(new EventFrame(Audience.Everyone, ServerFrames.ClientLeft(l.ClientId, l.Reason, seq), seq));
                if (l.Succession.Kind == SuccessionKind.PassTo)
                {
                    into.Add(new EventFrame(Audience.Everyone, ServerFrames.HostChanged(l.Succession.NextHostId, second), second));
                }
                else if (l.Succession.Kind == SuccessionKind.NoHost)
                {
                    into.Add(new EventFrame(Audience.Everyone, ServerFrames.HostChanged(null, second), second));
                }

                break;
            case MemberAway a:
                into.Add(new EventFrame(Audience.AllBut(a.ClientId), ServerFrames.ClientAway(a.ClientId, seq), seq));
                break;
            case MemberBack b when b.WasAway:
                into.Add(new EventFrame(Audience.AllBut(b.ClientId), ServerFrames.ClientBack(b.ClientId, seq), seq));
                break;
            case HostTransferred h:
                into.Add(new EventFrame(Audience.Everyone, ServerFrames.HostChanged(h.HostId, seq), seq));
                break;
        }
    }
}
