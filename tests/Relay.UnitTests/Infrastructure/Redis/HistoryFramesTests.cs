using System.Text;
using Relay.Domain.Rooms;
using Relay.Infrastructure.Backplanes.Redis;
using StackExchange.Redis;

namespace Relay.UnitTests.Infrastructure.Redis;

/// <summary>A returning client's missed events rebuilt from a room's history in Redis: the frames it would have got live.</summary>
public sealed class HistoryFramesTests
{
    private static RedisValue Event(long seq, RoomEvent e) => (byte[])[.. Encoding.UTF8.GetBytes($"E1 {seq}\n"), .. RoomEventCodec.EncodeEvent(e)];

    private static RedisValue Relay(string header, byte[] payload) => (byte[])[.. Encoding.UTF8.GetBytes(header + "\n"), .. payload];

    [Fact]
    public void Only_what_the_client_would_have_received_after_its_seq_in_order_and_as_it_would_have_looked()
    {
        RedisValue[] history =
        [
            Event(5, new MemberJoined(3, "cy", null, "n", DateTimeOffset.UnixEpoch, true, false, null, "t")),
            Relay("S1 7 b 1 a1", [0xAB]),
            Relay("S1 8 t 1 o3", "\"for three\""u8.ToArray()),
            Event(9, new MemberAway(2, DateTimeOffset.UnixEpoch)),
            Relay("S1 10 t 3 l2,4", "[1]"u8.ToArray()),
            Event(11, new MemberLeft(4, "left", null, HostSuccession.Unchanged)),
        ];

        var frames = HistoryFrames.For(history, clientId: 2, afterSeq: 5);

        Assert.Equal(4, frames.Count);
        Assert.Equal("""{"type":"host_changed","hostId":3,"seq":6}""", Encoding.UTF8.GetString(frames[0].Memory.Span));
        Assert.Equal([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0xAB], frames[1].Memory.ToArray());
        Assert.Equal("""{"type":"message","from":3,"seq":10,"data":[1]}""", Encoding.UTF8.GetString(frames[2].Memory.Span));
        Assert.Equal("""{"type":"client_left","clientId":4,"reason":"left","seq":11}""", Encoding.UTF8.GetString(frames[3].Memory.Span));
        foreach (var frame in frames)
        {
            frame.Release();
        }
    }

    [Fact]
    public void Messages_it_cannot_read_are_skipped()
    {
        var frames = HistoryFrames.For([(RedisValue)"E9 1\n{}"u8.ToArray(), Relay("S1 3 t 1 a0", "1"u8.ToArray())], clientId: 2, afterSeq: 0);

        Assert.Equal("""{"type":"message","from":1,"seq":3,"data":1}""", Encoding.UTF8.GetString(Assert.Single(frames).Memory.Span));
        frames[0].Release();
    }
}
