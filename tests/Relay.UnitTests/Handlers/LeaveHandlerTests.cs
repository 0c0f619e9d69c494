using System.Text;
using System.Text.Json;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Disconnect;
using Relay.Application.Realtime.Leave;
using Relay.Application.Realtime.Parsing;
using Relay.Domain.Rooms;
using Relay.Domain.Connections;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Handlers;

public sealed class LeaveHandlerTests
{
    private readonly RealtimeContext _ctx = new();
    private readonly LeaveHandler _handler;

    public LeaveHandlerTests() => _handler = new LeaveHandler(_ctx.Membership);

    private ValueTask<RealtimeResult> Leave(TestClient client, string? rawRef = null) =>
        _handler.Handle(
            new LeaveCommand(client.Client, rawRef is null ? MessageRef.None : new MessageRef(Encoding.UTF8.GetBytes(rawRef))),
            CancellationToken.None);

    [Fact]
    public async Task Leaver_gets_left_and_the_others_get_client_left()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 3);

        var result = await Leave(c[1], "\"bye\"");

        Assert.False(result.IsError);
        Assert.Equal("bye", c[1].Single("left").GetProperty("ref").GetString());
        foreach (var other in new[] { c[0], c[2] })
        {
            var left = other.Single("client_left");
            Assert.Equal(2, left.GetProperty("clientId").GetInt32());
            Assert.Equal("left", left.GetProperty("reason").GetString());
        }

        Assert.Null(c[1].Session);
        Assert.Equal(2, room.ClientCount);
        Assert.Equal(1, room.HostId);
        Assert.Equal(1, c[1].Connection.EndedEpochs);
        Assert.Empty(c[1].CloseCodes);
    }

    [Fact]
    public async Task Leave_when_not_in_a_room_is_not_connected()
    {
        var client = _ctx.NewClient();

        var result = await Leave(client);

        Assert.Equal(ErrorCodes.NotConnected, result.ErrorCode);
        Assert.Empty(client.Frames);
    }

    [Fact]
    public async Task Leaving_twice_is_not_connected_the_second_time()
    {
        var c = _ctx.Seat(_ctx.CreateRoom().Room, 2);
        await Leave(c[1]);

        Assert.Equal(ErrorCodes.NotConnected, (await Leave(c[1])).ErrorCode);
        Assert.Single(c[0].Frames);
    }

    [Fact]
    public async Task Mesh_host_leaving_passes_host_to_the_longest_connected()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 4);
        await Leave(c[1]);
        Array.ForEach(c, x => x.Clear());

        await Leave(c[0]);

        Assert.Equal(3, room.HostId);
        Assert.True(c[2].Session!.IsHost);
        foreach (var other in new[] { c[2], c[3] })
        {
            Assert.Equal(["client_left", "host_changed"], other.Types);
            Assert.Equal(3, other.SingleOfType("host_changed").GetProperty("hostId").GetInt32());
        }

        Assert.Equal(["left"], c[0].Types);
    }

    [Fact]
    public async Task Mesh_host_leaving_a_secret_room_leaves_it_without_host()
    {
        var room = _ctx.CreateRoom(hostAssignment: HostAssignment.Secret).Room;
        var host = _ctx.Joined(room, hostSecret: true);
        var other = _ctx.Joined(room);

        await Leave(host);

        Assert.Null(room.HostId);
        Assert.Equal(["client_left", "host_changed"], other.Types);
        Assert.Equal(JsonValueKind.Null, other.SingleOfType("host_changed").GetProperty("hostId").ValueKind);
        Assert.False(room.IsClosed);
    }

    [Fact]
    public async Task Mesh_host_leaving_an_empty_room_sends_nothing_else()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 1);
        _ctx.Time.Advance(TimeSpan.FromSeconds(30));

        await Leave(c[0]);

        Assert.Equal(["left"], c[0].Types);
        Assert.Null(room.HostId);
        Assert.Equal(_ctx.Time.GetUtcNow(), room.EmptySince);
        Assert.False(room.IsClosed);
    }

    [Fact]
    public async Task Host_protocol_host_leaving_closes_the_room_for_everyone()
    {
        var room = _ctx.CreateRoom(Rooms.Host).Room;
        var c = _ctx.Seat(room, 3);

        var result = await Leave(c[0], "1");

        Assert.False(result.IsError);
        Assert.Equal(1, c[0].Single("left").GetProperty("ref").GetInt32());
        foreach (var other in new[] { c[1], c[2] })
        {
            Assert.Equal("room_closed", other.Types[^1]);
            Assert.Equal("host_left", other.SingleOfType("room_closed").GetProperty("reason").GetString());
            Assert.Equal([CloseCodes.RoomClosed], other.CloseCodes);
            Assert.Null(other.Session);
        }

        Assert.Empty(c[0].CloseCodes);
        Assert.True(room.IsClosed);
        Assert.Null(await _ctx.Manager.FindAsync(room.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Host_protocol_non_host_leaving_keeps_the_room()
    {
        var room = _ctx.CreateRoom(Rooms.Host).Room;
        var c = _ctx.Seat(room, 3);

        await Leave(c[2]);

        Assert.False(room.IsClosed);
        Assert.Equal(["client_left"], c[0].Types);
        Assert.Equal(["client_left"], c[1].Types);
        Assert.Same(room, await _ctx.Manager.FindAsync(room.Id, CancellationToken.None));
    }

    [Theory]
    [InlineData(LeaveReasons.Disconnected)]
    [InlineData(LeaveReasons.Timeout)]
    public async Task Disconnect_tells_the_others_with_its_reason_and_sends_nothing_to_the_leaver(string reason)
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 2);
        var handler = new DisconnectHandler(_ctx.Membership);

        var result = await handler.Handle(new DisconnectCommand(c[1].Client, reason, MayResume: false), CancellationToken.None);

        Assert.False(result.IsError);
        Assert.Empty(c[1].Frames);
        Assert.Equal(reason, c[0].Single("client_left").GetProperty("reason").GetString());
        Assert.Equal(1, room.ClientCount);
        Assert.Null(c[1].Session);
    }

    [Fact]
    public async Task A_resumable_client_whose_connection_dropped_keeps_its_seat_away()
    {
        var room = _ctx.CreateRoom(resumeWindowSeconds: 30).Room;
        var c = _ctx.Seat(room, 2, resume: true);
        var seat = c[1].Session!;
        var handler = new DisconnectHandler(_ctx.Membership);

        await handler.Handle(new DisconnectCommand(c[1].Client, LeaveReasons.Disconnected, MayResume: true), CancellationToken.None);

        var away = c[0].Single("client_away");
        Assert.Equal(2, away.GetProperty("clientId").GetInt32());
        Assert.Equal(room.Seq, away.GetProperty("seq").GetInt64());
        Assert.Empty(c[1].Frames);
        Assert.True(seat.IsAway);
        Assert.Equal(_ctx.Time.GetUtcNow().AddSeconds(30), seat.AwayUntil);
        Assert.Equal(2, room.ClientCount);
        Assert.Null(c[1].Session);
    }

    [Fact]
    public async Task A_client_that_cannot_resume_leaves_even_when_its_connection_merely_dropped()
    {
        var room = _ctx.CreateRoom(resumeWindowSeconds: 30).Room;
        var c = _ctx.Seat(room, 2);
        var handler = new DisconnectHandler(_ctx.Membership);

        await handler.Handle(new DisconnectCommand(c[1].Client, LeaveReasons.Disconnected, MayResume: true), CancellationToken.None);

        Assert.Equal("disconnected", c[0].Single("client_left").GetProperty("reason").GetString());
        Assert.Equal(1, room.ClientCount);
    }

    [Fact]
    public async Task Disconnect_of_a_client_in_no_room_does_nothing()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 1);
        var stranger = _ctx.NewClient();

        var result = await new DisconnectHandler(_ctx.Membership).Handle(new DisconnectCommand(stranger.Client, LeaveReasons.Disconnected, MayResume: false), CancellationToken.None);

        Assert.False(result.IsError);
        Assert.Empty(c[0].Frames);
        Assert.Equal(1, room.ClientCount);
    }
}
