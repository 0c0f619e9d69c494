using Relay.Application.Realtime.Frames;
using Relay.Application.Rooms.Events;
using Relay.Domain.Frames;
using StackExchange.Redis;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>
/// A returning client's missed events, rebuilt from a room's history in Redis: for each event after its seq that it
/// would have received, the same frame it would have got live (<see cref="RoomEventFrames"/>, <see cref="RelayFrames"/>).
/// </summary>
internal static class HistoryFrames
{
    public static IReadOnlyList<OutboundFrame> For(IReadOnlyList<RedisValue> messages, int clientId, long afterSeq)
    {
        var frames = new List<OutboundFrame>(messages.Count);
        var events = new List<EventFrame>(2);
        foreach (var value in messages)
        {
            var message = RoomEventCodec.Decode((byte[])value!);
            switch (message.Kind)
            {
                case ChannelMessageKind.SequencedRelay when message.Seq > afterSeq && message.Relay.Audience.Includes(clientId):
                    var relay = message.Relay;
                    frames.Add(RelayFrames.ForResumable(relay.Kind, relay.SenderId, relay.Payload.Span, message.Seq)
                        ?? RelayFrames.For(relay.Kind, relay.SenderId, relay.Payload.Span, message.Seq));
                    break;
                case ChannelMessageKind.Event:
                    events.Clear();
                    RoomEventFrames.Of(message.Event!, message.Seq, events);
                    foreach (var e in events)
                    {
                        if (e.Seq > afterSeq && e.Audience.Includes(clientId))
                        {
                            frames.Add(e.Frame);
                        }
                        else
                        {
                            e.Frame.Release();
                        }
                    }

                    break;
            }
        }

        return frames;
    }
}
