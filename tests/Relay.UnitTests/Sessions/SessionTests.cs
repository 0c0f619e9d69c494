using NSubstitute;
using Relay.Domain.Sessions;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Sessions;

public sealed class SessionTests
{
    private static readonly DateTimeOffset T0 = ManualTimeProvider.Epoch;

    [Fact]
    public void Close_forwards_code_and_reason()
    {
        var transport = Substitute.For<ISessionTransport>();
        var session = new Session(transport, 7, T0);

        session.Close(CloseCodes.Kicked, "kicked");

        transport.Received(1).Close(4001, "kicked");
    }

    [Fact]
    public void A_new_session_is_in_no_room()
    {
        var transport = Substitute.For<ISessionTransport>();
        var session = new Session(transport, 42, T0);

        Assert.Equal(42, session.ConnectionId);
        Assert.Equal(T0, session.OpenedAt);
        Assert.Null(session.Room);
        Assert.Equal(0, session.ClientId);
        Assert.False(session.IsHost);
        Assert.Null(session.Name);
    }

    [Fact]
    public void Attach_then_Detach_sets_and_clears_membership_and_tells_the_transport()
    {
        var transport = Substitute.For<ISessionTransport>();
        var session = new Session(transport, 1, T0);
        var room = Rooms.Create();

        session.Attach(room, 5, "alice", T0.AddSeconds(3));

        Assert.Same(room, session.Room);
        Assert.Equal(5, session.ClientId);
        Assert.Equal("alice", session.Name);
        Assert.Equal(T0.AddSeconds(3), session.JoinedAt);
        transport.DidNotReceive().OnLeftRoom();

        session.Detach();

        Assert.Null(session.Room);
        Assert.Equal(0, session.ClientId);
        transport.Received(1).OnLeftRoom();
    }

    [Fact]
    public void IsHost_follows_the_room_host()
    {
        var room = Rooms.Create();
        var a = Rooms.Join(room);
        var b = Rooms.Join(room);

        Assert.True(a.Session.IsHost);
        room.TransferHost(b.ClientId);
        Assert.False(a.Session.IsHost);
        Assert.True(b.Session.IsHost);
    }

    [Fact]
    public void A_remote_member_is_never_written_to_here()
    {
        var remote = Session.Remote("node-b", T0);
        var room = Rooms.Create();
        var frame = OutboundFrame.Wrap([1, 2, 3], FrameKind.Binary);

        Assert.True(remote.IsRemote);
        Assert.Equal("node-b", remote.NodeId);
        Assert.False(remote.TrySend(frame));
        Assert.False(remote.TrySendInRoom(room, frame));
        remote.Close(CloseCodes.Kicked, "kicked");

        // Nothing took a reference: the creator's release frees the frame.
        frame.Release();
        Assert.Throws<ObjectDisposedException>(() => frame.Memory);
    }

    [Fact]
    public void Constructor_requires_a_transport()
    {
        Assert.Throws<ArgumentNullException>(() => new Session(null!, 1, T0));
    }
}
