using Relay.Application.Rooms.Membership;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Application;

/// <summary>One client connection as the protocol sees it: at most one seat, held only while the seat is still its own.</summary>
public sealed class ClientConnectionTests
{
    private readonly RealtimeContext _ctx = new();

    [Fact]
    public void A_new_connection_holds_no_seat()
    {
        var client = _ctx.NewClient();

        Assert.Null(client.Client.Session);
        Assert.Same(client.Connection, client.Client.Connection);
        Assert.Equal(client.Connection.Id, client.Client.Id);
    }

    [Fact]
    public void It_holds_its_seat_until_the_member_leaves()
    {
        var room = _ctx.CreateRoom().Room;
        var client = _ctx.Joined(room, "ann");
        var seat = client.Session!;

        Assert.Same(room, seat.Room);
        Assert.Equal("ann", seat.Name);
        Assert.Equal(MemberChange.Done, _ctx.Leave(client));

        Assert.Null(client.Session);
        Assert.False(seat.IsMember);
    }

    [Fact]
    public void A_connection_whose_room_closed_holds_no_seat()
    {
        var room = _ctx.CreateRoom().Room;
        var client = _ctx.Joined(room);

        room.ApplyClose(room.Seq + 1);

        Assert.Null(client.Session);
    }
}
