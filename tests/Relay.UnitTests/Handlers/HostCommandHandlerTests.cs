using Relay.Application.Common;
using Relay.Application.Realtime.CloseRoom;
using Relay.Application.Realtime.Kick;
using Relay.Application.Realtime.Parsing;
using Relay.Application.Realtime.Ping;
using Relay.Application.Realtime.TransferHost;
using Relay.Application.Rooms.Membership;
using Relay.Domain.Connections;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Handlers;

public sealed class KickHandlerTests
{
    private readonly RealtimeContext _ctx = new();
    private readonly KickHandler _handler;

    public KickHandlerTests() => _handler = new KickHandler(_ctx.Membership);

    [Fact]
    public async Task Kicked_client_gets_kicked_and_4001_and_the_others_client_left()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 3);

        var result = await _handler.Handle(new KickCommand(c[0].Client, 2, "spam"), CancellationToken.None);

        Assert.False(result.IsError);
        Assert.Equal("spam", c[1].Single("kicked").GetProperty("reason").GetString());
        Assert.Equal([CloseCodes.Kicked], c[1].CloseCodes);
        Assert.Null(c[1].Session);
        foreach (var other in new[] { c[0], c[2] })
        {
            var left = other.Single("client_left");
            Assert.Equal(2, left.GetProperty("clientId").GetInt32());
            Assert.Equal("kicked", left.GetProperty("reason").GetString());
        }

        Assert.Equal(2, room.ClientCount);
    }

    [Fact]
    public async Task Kick_without_reason_uses_the_default_reason()
    {
        var c = _ctx.Seat(_ctx.CreateRoom().Room, 2);

        await _handler.Handle(new KickCommand(c[0].Client, 2, null), CancellationToken.None);

        Assert.Equal(KickHandler.DefaultReason, c[1].Single("kicked").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Kick_from_a_non_host_is_not_host()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 3);

        var result = await _handler.Handle(new KickCommand(c[1].Client, 3, null), CancellationToken.None);

        Assert.Equal(ErrorCodes.NotHost, result.ErrorCode);
        Assert.Equal(3, room.ClientCount);
        Assert.All(c, x => Assert.Empty(x.Frames));
        Assert.Empty(c[2].CloseCodes);
    }

    [Fact]
    public async Task Kick_of_an_unknown_client_is_unknown_client()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 2);

        var result = await _handler.Handle(new KickCommand(c[0].Client, 42, null), CancellationToken.None);

        Assert.Equal(ErrorCodes.UnknownClient, result.ErrorCode);
        Assert.Equal(2, room.ClientCount);
        Assert.All(c, x => Assert.Empty(x.Frames));
    }

    [Fact]
    public async Task Kick_before_connect_is_not_connected()
    {
        var result = await _handler.Handle(new KickCommand(_ctx.NewClient().Client, 1, null), CancellationToken.None);

        Assert.Equal(ErrorCodes.NotConnected, result.ErrorCode);
    }

    [Fact]
    public async Task The_host_cannot_kick_itself()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 2);

        var result = await _handler.Handle(new KickCommand(c[0].Client, 1, null), CancellationToken.None);

        Assert.Equal(ErrorCodes.BadRequest, result.ErrorCode);
        Assert.Equal(1, room.HostId);
        Assert.Equal(2, room.ClientCount);
    }
}

public sealed class TransferHostHandlerTests
{
    private readonly RealtimeContext _ctx = new();
    private readonly TransferHostHandler _handler;

    public TransferHostHandlerTests() => _handler = new TransferHostHandler(_ctx.Membership);

    [Fact]
    public async Task Transfer_makes_the_target_host_and_tells_everyone()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 3);

        var result = await _handler.Handle(new TransferHostCommand(c[0].Client, 3), CancellationToken.None);

        Assert.False(result.IsError);
        Assert.Equal(3, room.HostId);
        Assert.True(c[2].Session!.IsHost);
        Assert.False(c[0].Session!.IsHost);
        Assert.All(c, x => Assert.Equal(3, x.Single("host_changed").GetProperty("hostId").GetInt32()));
    }

    [Fact]
    public async Task The_old_host_can_no_longer_transfer()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 3);
        await _handler.Handle(new TransferHostCommand(c[0].Client, 2), CancellationToken.None);

        var result = await _handler.Handle(new TransferHostCommand(c[0].Client, 3), CancellationToken.None);

        Assert.Equal(ErrorCodes.NotHost, result.ErrorCode);
        Assert.Equal(2, room.HostId);
    }

    [Fact]
    public async Task Transfer_from_a_non_host_is_not_host()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 3);

        var result = await _handler.Handle(new TransferHostCommand(c[1].Client, 2), CancellationToken.None);

        Assert.Equal(ErrorCodes.NotHost, result.ErrorCode);
        Assert.Equal(1, room.HostId);
        Assert.All(c, x => Assert.Empty(x.Frames));
    }

    [Fact]
    public async Task Transfer_to_an_unknown_client_is_unknown_client()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 2);

        var result = await _handler.Handle(new TransferHostCommand(c[0].Client, 9), CancellationToken.None);

        Assert.Equal(ErrorCodes.UnknownClient, result.ErrorCode);
        Assert.Equal(1, room.HostId);
        Assert.All(c, x => Assert.Empty(x.Frames));
    }

    [Fact]
    public async Task Transfer_to_oneself_changes_nothing()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 2);

        var result = await _handler.Handle(new TransferHostCommand(c[0].Client, 1), CancellationToken.None);

        Assert.False(result.IsError);
        Assert.Equal(1, room.HostId);
    }

    [Fact]
    public async Task Transfer_before_connect_is_not_connected()
    {
        var result = await _handler.Handle(new TransferHostCommand(_ctx.NewClient().Client, 1), CancellationToken.None);

        Assert.Equal(ErrorCodes.NotConnected, result.ErrorCode);
    }
}

public sealed class CloseRoomHandlerTests
{
    private readonly RealtimeContext _ctx = new();
    private readonly CloseRoomHandler _handler;

    public CloseRoomHandlerTests() => _handler = new CloseRoomHandler(_ctx.Membership);

    [Fact]
    public async Task Close_room_tells_everyone_closes_4000_and_deletes_the_room()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 3);

        var result = await _handler.Handle(new CloseRoomCommand(c[0].Client, "game over"), CancellationToken.None);

        Assert.False(result.IsError);
        foreach (var client in c)
        {
            var closed = client.Single("room_closed");
            Assert.Equal("closed_by_host", closed.GetProperty("reason").GetString());
            Assert.Equal("game over", closed.GetProperty("message").GetString());
            Assert.Equal([CloseCodes.RoomClosed], client.CloseCodes);
            Assert.Null(client.Session);
        }

        Assert.True(room.IsClosed);
        Assert.Null(await _ctx.Manager.FindAsync(room.Id, CancellationToken.None));
        Assert.Empty(_ctx.Manager.Snapshot());
        Assert.Equal(0, (await _ctx.Manager.GetTotalsAsync(CancellationToken.None)).Rooms);
    }

    [Fact]
    public async Task Close_room_from_a_non_host_is_not_host()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 2);

        var result = await _handler.Handle(new CloseRoomCommand(c[1].Client, null), CancellationToken.None);

        Assert.Equal(ErrorCodes.NotHost, result.ErrorCode);
        Assert.False(room.IsClosed);
        Assert.Same(room, await _ctx.Manager.FindAsync(room.Id, CancellationToken.None));
        Assert.All(c, x => Assert.Empty(x.Frames));
    }

    [Fact]
    public async Task Close_room_before_connect_is_not_connected()
    {
        var result = await _handler.Handle(new CloseRoomCommand(_ctx.NewClient().Client, null), CancellationToken.None);

        Assert.Equal(ErrorCodes.NotConnected, result.ErrorCode);
    }

    [Fact]
    public async Task Closing_twice_through_membership_reports_the_second_as_no_room()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 1);

        Assert.Equal(MemberChange.Done, await _ctx.Membership.CloseAsync(room, RoomClosedReasons.Deleted, CloseCodes.RoomClosed, null, null, CancellationToken.None));
        Assert.Equal(MemberChange.RoomNotFound, await _ctx.Membership.CloseAsync(room, RoomClosedReasons.Deleted, CloseCodes.RoomClosed, null, null, CancellationToken.None));

        Assert.Equal("deleted", c[0].Single("room_closed").GetProperty("reason").GetString());
        Assert.Equal([CloseCodes.RoomClosed], c[0].CloseCodes);
    }

    [Fact]
    public async Task A_close_by_a_host_that_lost_the_role_meanwhile_is_not_host()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 2);
        var formerHost = c[0].Session!;
        Assert.Equal(MemberChange.Done, await _ctx.Membership.TransferHostAsync(formerHost, 2, CancellationToken.None));

        var change = await _ctx.Membership.CloseAsync(room, RoomClosedReasons.ClosedByHost, CloseCodes.RoomClosed, null, formerHost, CancellationToken.None);

        Assert.Equal(MemberChange.NotHost, change);
        Assert.False(room.IsClosed);
    }
}

public sealed class PingHandlerTests
{
    [Fact]
    public async Task Ping_gets_pong_with_the_ref_connected_or_not()
    {
        var client = new TestClient();

        var result = await new PingHandler().Handle(new PingCommand(client.Client, new MessageRef("\"p1\""u8.ToArray())), CancellationToken.None);

        Assert.False(result.IsError);
        Assert.Equal("p1", client.Single("pong").GetProperty("ref").GetString());
    }
}
