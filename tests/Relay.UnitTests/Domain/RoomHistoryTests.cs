using Relay.Domain.Frames;
using Relay.Domain.Rooms;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Domain;

/// <summary>What a room keeps for clients coming back: bounded by count, bytes and age; collected whole or not at all.</summary>
public sealed class RoomHistoryTests
{
    private static readonly DateTimeOffset T0 = ManualTimeProvider.Epoch;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    private static OutboundFrame Frame(int length, byte fill = 1) => OutboundFrame.Wrap(Enumerable.Repeat(fill, length).ToArray(), FrameKind.Binary);

    /// <summary>Appends a frame as the delivery path does: the history takes its own reference, the creator releases its.</summary>
    private static OutboundFrame Append(RoomHistory history, long seq, OutboundFrame frame, DateTimeOffset? at = null, Audience? audience = null)
    {
        history.Append(seq, audience ?? Audience.Everyone, frame, at ?? T0, Window);
        frame.Release();
        return frame;
    }

    [Fact]
    public void A_kept_frame_outlives_its_creator()
    {
        var history = new RoomHistory(10, 1000);

        var frame = Append(history, 1, Frame(4));

        Assert.False(FrameState.IsReleased(frame));
        Assert.Equal(1, history.Count);
        Assert.Equal(4, history.Bytes);
        Assert.Equal(0, history.DroppedThrough);
    }

    [Fact]
    public void The_oldest_events_go_past_the_message_bound()
    {
        var history = new RoomHistory(3, 1000);

        var frames = Enumerable.Range(1, 5).Select(seq => Append(history, seq, Frame(2))).ToArray();

        Assert.Equal(3, history.Count);
        Assert.Equal(6, history.Bytes);
        Assert.Equal(2, history.DroppedThrough);
        Assert.Equal([true, true, false, false, false], frames.Select(FrameState.IsReleased));
    }

    [Fact]
    public void The_oldest_events_go_past_the_byte_bound()
    {
        var history = new RoomHistory(100, 10);

        var frames = Enumerable.Range(1, 3).Select(seq => Append(history, seq, Frame(4))).ToArray();

        Assert.Equal(2, history.Count);
        Assert.Equal(8, history.Bytes);
        Assert.Equal(1, history.DroppedThrough);
        Assert.True(FrameState.IsReleased(frames[0]));
    }

    [Fact]
    public void Events_older_than_the_window_go_when_the_next_one_is_kept()
    {
        var history = new RoomHistory(100, 1000);
        var old = Append(history, 1, Frame(1), T0);
        var recent = Append(history, 2, Frame(1), T0.AddSeconds(10));

        Append(history, 3, Frame(1), T0.AddSeconds(31));

        Assert.Equal(2, history.Count);
        Assert.Equal(1, history.DroppedThrough);
        Assert.True(FrameState.IsReleased(old));
        Assert.False(FrameState.IsReleased(recent));
    }

    [Fact]
    public void An_event_over_the_byte_bound_is_not_kept_and_a_return_across_it_is_refused()
    {
        var history = new RoomHistory(100, 10);
        Append(history, 1, Frame(4));

        Append(history, 2, Frame(11));

        Assert.Equal(0, history.Count);
        Assert.Equal(2, history.DroppedThrough);
        Assert.False(history.TryCollect(1, 1, []));
        Assert.True(history.TryCollect(2, 1, []));
    }

    [Fact]
    public void TryCollect_gives_every_event_after_seq_the_client_was_sent_in_order()
    {
        var history = new RoomHistory(100, 1000);
        var one = Append(history, 1, Frame(1, 1));
        var two = Append(history, 2, Frame(1, 2), audience: Audience.Single(2));
        var three = Append(history, 3, Frame(1, 3), audience: Audience.AllBut(5));
        var four = Append(history, 4, Frame(1, 4), audience: Audience.Listed([5, 6]));
        var collected = new List<OutboundFrame>();

        Assert.True(history.TryCollect(1, 5, collected));

        Assert.Equal([four], collected);
        collected.Clear();
        Assert.True(history.TryCollect(0, 2, collected));
        Assert.Equal([one, two, three], collected);
        collected.Clear();
        Assert.True(history.TryCollect(4, 2, collected));
        Assert.Empty(collected);
    }

    [Fact]
    public void TryCollect_refuses_and_adds_nothing_when_some_missed_event_is_no_longer_kept()
    {
        var history = new RoomHistory(2, 1000);
        foreach (var seq in new long[] { 1, 2, 3, 4 })
        {
            Append(history, seq, Frame(1));
        }

        var collected = new List<OutboundFrame>();

        Assert.False(history.TryCollect(1, 1, collected));
        Assert.Empty(collected);
        Assert.True(history.TryCollect(2, 1, collected));
        Assert.Equal(2, collected.Count);
    }

    [Fact]
    public void Collected_frames_hold_their_own_reference_and_Clear_lets_go_of_the_rest()
    {
        var history = new RoomHistory(10, 1000);
        var kept = Append(history, 1, Frame(1));
        var collected = new List<OutboundFrame>();
        Assert.True(history.TryCollect(0, 1, collected));

        history.Clear();

        Assert.Equal(0, history.Count);
        Assert.Equal(0, history.Bytes);
        Assert.False(FrameState.IsReleased(kept));
        collected[0].Release();
        Assert.True(FrameState.IsReleased(kept));
    }
}
