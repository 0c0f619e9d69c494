using System.Text;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Send;
using Relay.Domain.Frames;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Handlers;

public sealed class SendHandlerTests
{
    private readonly RealtimeContext _ctx = new();
    private readonly SendHandler _handler;

    public SendHandlerTests() => _handler = new SendHandler(_ctx.Relays);

    private ValueTask<RealtimeResult> Send(TestClient from, int[] to, string data = "{\"k\":1}") =>
        _handler.Handle(new SendCommand(from.Client, to, Encoding.UTF8.GetBytes(data), FrameKind.Text), CancellationToken.None);

    [Fact]
    public async Task Send_reaches_only_the_listed_clients()
    {
        var clients = _ctx.Seat(_ctx.CreateRoom().Room, 4);

        var result = await Send(clients[1], [1, 4], "[ true ]");

        Assert.False(result.IsError);
        Assert.Equal("""{"type":"message","from":2,"data":[ true ]}""", Assert.Single(clients[0].Frames).Text);
        Assert.Equal("""{"type":"message","from":2,"data":[ true ]}""", Assert.Single(clients[3].Frames).Text);
        Assert.Empty(clients[1].Frames);
        Assert.Empty(clients[2].Frames);
        Assert.Equal(2, _ctx.Stats.Deliveries);
    }

    [Fact]
    public async Task An_unknown_recipient_fails_the_whole_send()
    {
        var clients = _ctx.Seat(_ctx.CreateRoom().Room, 3);

        var result = await Send(clients[0], [2, 99, 3]);

        Assert.Equal(ErrorCodes.UnknownClient, result.ErrorCode);
        Assert.All(clients, c => Assert.Empty(c.Frames));
        Assert.Equal(0, _ctx.Stats.MessagesRelayed);
    }

    [Fact]
    public async Task A_client_who_left_is_unknown()
    {
        var room = _ctx.CreateRoom().Room;
        var clients = _ctx.Seat(room, 3);
        _ctx.Leave(clients[2]);
        clients[0].Clear();

        var result = await Send(clients[0], [3]);

        Assert.Equal(ErrorCodes.UnknownClient, result.ErrorCode);
        Assert.Empty(clients[2].Frames);
    }

    [Fact]
    public async Task Host_protocol_forbids_a_non_host_sending_to_a_non_host()
    {
        var clients = _ctx.Seat(_ctx.CreateRoom(Rooms.Host).Room, 3);

        var result = await Send(clients[1], [1, 3]);

        Assert.Equal(ErrorCodes.Forbidden, result.ErrorCode);
        Assert.All(clients, c => Assert.Empty(c.Frames));
    }

    [Fact]
    public async Task Host_protocol_lets_a_non_host_send_to_the_host_and_the_host_to_anyone()
    {
        var clients = _ctx.Seat(_ctx.CreateRoom(Rooms.Host).Room, 3);

        Assert.False((await Send(clients[1], [1], "1")).IsError);
        Assert.False((await Send(clients[0], [2, 3], "2")).IsError);

        Assert.Equal("""{"type":"message","from":2,"data":1}""", Assert.Single(clients[0].Frames).Text);
        Assert.Equal("""{"type":"message","from":1,"data":2}""", Assert.Single(clients[1].Frames).Text);
        Assert.Equal("""{"type":"message","from":1,"data":2}""", Assert.Single(clients[2].Frames).Text);
    }

    [Fact]
    public async Task A_recipient_listed_several_times_gets_the_message_once()
    {
        var clients = _ctx.Seat(_ctx.CreateRoom().Room, 3);

        var result = await Send(clients[0], [2, 3, 2, 2]);

        Assert.False(result.IsError);
        Assert.Single(clients[1].Frames);
        Assert.Single(clients[2].Frames);
        Assert.Equal(2, _ctx.Stats.Deliveries);
    }

    [Fact]
    public async Task Binary_send_carries_the_sender_id()
    {
        var clients = _ctx.Seat(_ctx.CreateRoom().Room, 2);

        await _handler.Handle(new SendCommand(clients[1].Client, [1], new byte[] { 0x7f }, FrameKind.Binary), CancellationToken.None);

        var frame = Assert.Single(clients[0].Frames);
        Assert.Equal(FrameKind.Binary, frame.Kind);
        Assert.Equal([0, 0, 0, 2, 0x7f], frame.Bytes);
    }

    [Fact]
    public async Task Send_before_connect_is_not_connected()
    {
        var clients = _ctx.Seat(_ctx.CreateRoom().Room, 1);

        var result = await Send(_ctx.NewClient(), [1]);

        Assert.Equal(ErrorCodes.NotConnected, result.ErrorCode);
        Assert.Empty(clients[0].Frames);
    }
}
