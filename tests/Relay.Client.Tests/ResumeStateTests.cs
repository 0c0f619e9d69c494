namespace Relay.Client.Tests;

/// <summary>The client's resume bookkeeping on its own (no server): what counts as new, and what a resume sends.</summary>
public sealed class ResumeStateTests
{
    [Fact]
    public void A_room_event_at_or_below_the_last_processed_seq_is_dropped()
    {
        var state = new ResumeState(enabled: true);
        state.Joined(new ConnectedMessage { RoomId = "r", ClientId = 2, Seq = 10, ResumeToken = "t1" });

        Assert.False(state.Accept(new DataMessage { Seq = 10 }));
        Assert.True(state.Accept(new DataMessage { Seq = 11 }));
        Assert.False(state.Accept(new ClientJoinedMessage { Seq = 11 }));
        Assert.True(state.Accept(new ClientAwayMessage { Seq = 13 }));
        Assert.False(state.Accept(new BinaryMessage { Seq = 12 }));
        Assert.True(state.Accept(new PongMessage()));
        Assert.Equal(13, state.LastSeq);
        Assert.Equal(new ResumeRequest("r", "t1", 13), state.Request);
    }

    [Fact]
    public void An_unnumbered_relay_is_delivered_without_moving_the_seq()
    {
        var state = new ResumeState(enabled: true);
        state.Joined(new ConnectedMessage { RoomId = "r", Seq = 5, ResumeToken = "t" });
        var outage = ServerMessageParser.ParseBinary([0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0x2A], sequenced: state.Sequenced);

        Assert.Equal(new byte[] { 0x2A }, Assert.IsType<BinaryMessage>(outage).Payload.ToArray());
        Assert.True(state.Accept(outage));
        Assert.True(state.Accept(new DataMessage()));
        Assert.Equal(5, state.LastSeq);
    }

    [Fact]
    public void A_resume_keeps_the_last_seq_takes_the_new_token_and_marks_the_replayed_events()
    {
        var state = new ResumeState(enabled: true);
        state.Joined(new ConnectedMessage { RoomId = "r", Seq = 5, ResumeToken = "t1" });
        state.Joined(new ResumedMessage { RoomId = "r", Seq = 9, ResumeToken = "t2", Missed = 4 });

        Assert.Equal(new ResumeRequest("r", "t2", 5), state.Request);
        Assert.True(state.InSnapshot(new ClientJoinedMessage { Seq = 9 }));
        Assert.False(state.InSnapshot(new ClientJoinedMessage { Seq = 10 }));
        Assert.True(state.Accept(new DataMessage { Seq = 6 }));

        state.Forget();
        Assert.Null(state.Request);
        Assert.False(state.Sequenced);
    }

    [Fact]
    public void Without_a_token_there_is_nothing_to_resume_and_binary_relays_keep_the_version_1_layout()
    {
        var state = new ResumeState(enabled: true);
        state.Joined(new ConnectedMessage { RoomId = "r" });

        Assert.Null(state.Request);
        Assert.False(state.Sequenced);
        var relay = Assert.IsType<BinaryMessage>(ServerMessageParser.ParseBinary([0, 0, 0, 3, 7], sequenced: state.Sequenced));
        Assert.Equal((3, "07"), (relay.From, Convert.ToHexString(relay.Payload.Span)));
    }
}
