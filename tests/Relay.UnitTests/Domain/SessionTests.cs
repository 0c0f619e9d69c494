using Relay.Domain.Connections;
using Relay.Domain.Frames;
using Relay.Domain.Rooms;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Domain;

/// <summary>A room member over its connection: sends with the membership epoch it was attached with.</summary>
public sealed class SessionTests
{
    private static readonly DateTimeOffset T0 = ManualTimeProvider.Epoch;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TrySend_forwards_the_frame_and_returns_the_connection_answer(bool accepted)
    {
        var connection = new TestConnection { Accepts = accepted };
        var session = Rooms.Join(Rooms.Create(), connection: connection);
        var frame = OutboundFrame.Wrap([1, 2, 3], FrameKind.Binary);

        Assert.Equal(accepted, session.TrySend(frame));
        Assert.Equal(accepted ? 1 : 0, connection.Frames.Count);
        Assert.All(connection.Frames, f => Assert.Same(frame, f.Frame));
    }

    [Fact]
    public void Close_forwards_code_and_reason()
    {
        var connection = new TestConnection();
        var session = Rooms.Join(Rooms.Create(), connection: connection);

        session.Close(CloseCodes.Kicked, "kicked");

        Assert.Equal([(CloseCodes.Kicked, "kicked")], connection.Closes);
    }

    [Fact]
    public void A_seated_member_has_its_join_and_its_connection()
    {
        var room = Rooms.Create();
        var connection = new TestConnection();

        var session = Rooms.Join(room, "alice", now: T0.AddSeconds(3), connection: connection);

        Assert.Same(room, session.Room);
        Assert.Equal(1, session.ClientId);
        Assert.Equal("alice", session.Name);
        Assert.Equal(T0.AddSeconds(3), session.JoinedAt);
        Assert.Equal(2, session.JoinSeq);
        Assert.Same(connection, session.Connection);
        Assert.True(session.IsMember);
        Assert.False(session.IsRemote);
        Assert.False(session.IsAway);
        Assert.Equal(0, connection.EndedEpochs);
    }

    [Fact]
    public void Leaving_detaches_the_member_and_ends_its_epoch_once()
    {
        var room = Rooms.Create();
        var connection = new TestConnection();
        var session = Rooms.Join(room, connection: connection);

        Rooms.Leave(room, session);

        Assert.False(session.IsMember);
        Assert.False(session.IsHost);
        Assert.Null(session.Connection);
        Assert.Equal(1, connection.EndedEpochs);
        Assert.Empty(connection.Closes);
    }

    [Fact]
    public void A_relay_that_saw_the_member_before_it_left_never_reaches_its_connection()
    {
        var room = Rooms.Create();
        var connection = new TestConnection();
        var session = Rooms.Join(room, connection: connection);
        var epoch = connection.Epoch;
        Rooms.Leave(room, session);
        var frame = OutboundFrame.Wrap([1], FrameKind.Binary);

        Assert.False(session.TrySend(frame));
        Assert.False(connection.TrySend(frame, epoch));
        Assert.True(connection.TrySend(frame));
        Assert.Single(connection.Frames);
    }

    [Fact]
    public void IsHost_follows_the_room_host()
    {
        var room = Rooms.Create();
        var a = Rooms.Join(room);
        var b = Rooms.Join(room);

        Assert.True(a.IsHost);
        room.ApplyHost(b.ClientId, room.Seq + 1);
        Assert.False(a.IsHost);
        Assert.True(b.IsHost);
    }

    [Fact]
    public void Connecting_requires_a_connection()
    {
        var room = Rooms.Create();
        var session = Rooms.Join(room);

        Assert.Throws<ArgumentNullException>(() => session.Connect(null!));
    }

    [Fact]
    public void A_remote_stand_in_writes_nothing_here()
    {
        var room = Rooms.Create();
        var decision = room.DecideJoin(Rooms.Attempt(node: "node-b"));
        var remote = Rooms.Apply(room, decision.Event!, null, "node-b");
        var frame = OutboundFrame.Wrap([1], FrameKind.Binary);

        Assert.True(remote.IsRemote);
        Assert.Equal("node-b", remote.NodeId);
        Assert.Null(remote.Connection);
        Assert.False(remote.TrySend(frame));
        remote.Close(CloseCodes.Kicked, "nothing to close");
    }

    [Fact]
    public void An_away_member_keeps_its_seat_without_a_connection_until_it_is_back()
    {
        var room = Rooms.Create(resumeWindowSeconds: 30);
        var old = new TestConnection();
        var session = Rooms.Join(room, "ann", connection: old, resumable: true);
        room.ApplyAway(room.DecideAway(session.ClientId, T0).Event!, room.Seq + 1);
        var frame = OutboundFrame.Wrap([1], FrameKind.Binary);

        Assert.True(session.IsAway);
        Assert.True(session.IsMember);
        Assert.False(session.TrySend(frame));
        Assert.Empty(old.Frames);

        var fresh = new TestConnection();
        var back = room.DecideBack(SecretHash.Digest("token-ann"), SecretHash.Digest("next"), "local", "j", T0).Event!;
        room.ApplyBack(back, room.Seq + 1, fresh, null);

        Assert.True(session.TrySend(frame));
        Assert.Single(fresh.Frames);
        Assert.Empty(old.Frames);
    }
}
