using NSubstitute;
using Relay.Application.Common;
using Relay.Application.Realtime;
using Relay.Application.Realtime.Frames;
using Relay.Domain.Sessions;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Handlers;

public sealed class RoomCoordinatorTests
{
    private readonly RealtimeContext _ctx = new();

    [Fact]
    public void Kicking_the_host_of_a_mesh_room_passes_the_host_on()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 3);

        Assert.True(_ctx.Coordinator.Kick(room, c[0].Session, "by the backend"));

        Assert.Equal(["kicked"], c[0].Types);
        c[0].Transport.Received(1).Close(CloseCodes.Kicked, Arg.Any<string>());
        Assert.Equal(2, room.HostId);
        foreach (var other in new[] { c[1], c[2] })
        {
            Assert.Equal(["client_left", "host_changed"], other.Types);
            Assert.Equal(2, other.SingleOfType("host_changed").GetProperty("hostId").GetInt32());
        }
    }

    [Fact]
    public async Task Kicking_the_host_of_a_host_room_closes_it()
    {
        var room = _ctx.CreateRoom(Rooms.Host).Room;
        var c = _ctx.Seat(room, 2);

        Assert.True(_ctx.Coordinator.Kick(room, c[0].Session, "by the backend"));

        Assert.Equal(["client_left", "room_closed"], c[1].Types);
        Assert.Equal("host_left", c[1].SingleOfType("room_closed").GetProperty("reason").GetString());
        c[1].Transport.Received(1).Close(CloseCodes.RoomClosed, Arg.Any<string>());
        Assert.Null(await _ctx.Manager.FindAsync(room.Id, CancellationToken.None));
    }

    [Fact]
    public void Kicking_someone_who_already_left_does_nothing()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 2);
        room.Remove(c[1].Session, _ctx.Time.GetUtcNow());

        Assert.False(_ctx.Coordinator.Kick(room, c[1].Session, "late"));

        Assert.Empty(c[1].Frames);
        c[1].Transport.DidNotReceiveWithAnyArgs().Close(default, default!);
        Assert.Empty(c[0].Frames);
    }

    [Fact]
    public void Publish_skips_the_excepted_session_counts_acceptances_and_releases_the_frame()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 3);
        c[2].Accepts = false;
        var frame = ServerFrames.HostChanged(1);

        var delivered = RoomCoordinator.Publish(room, frame, except: c[0].Session);

        Assert.Equal(1, delivered);
        Assert.Empty(c[0].Frames);
        Assert.Single(c[1].Frames);
        Assert.Throws<ObjectDisposedException>(() => frame.Memory);
    }

    [Fact]
    public void Remove_member_of_a_session_in_no_room_is_false()
    {
        Assert.False(_ctx.Coordinator.RemoveMember(new TestClient().Session, LeaveReasons.Left));
    }
}
