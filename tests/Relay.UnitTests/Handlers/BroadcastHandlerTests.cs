using System.Text;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Broadcast;
using Relay.Domain.Rooms;
using Relay.Domain.Frames;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Handlers;

public sealed class BroadcastHandlerTests
{
    private readonly RealtimeContext _ctx = new();
    private readonly BroadcastHandler _handler;

    public BroadcastHandlerTests() => _handler = new BroadcastHandler(_ctx.Relays);

    private ValueTask<RealtimeResult> Broadcast(TestClient from, string data) =>
        _handler.Handle(new BroadcastCommand(from.Client, Encoding.UTF8.GetBytes(data), FrameKind.Text), CancellationToken.None);

    [Fact]
    public async Task Mesh_broadcast_reaches_every_other_client_byte_for_byte()
    {
        var room = _ctx.CreateRoom().Room;
        var (a, b, c) = Three(room);

        var result = await Broadcast(b, """{ "x" : [1, 2.50] }""");

        Assert.False(result.IsError);
        Assert.Empty(b.Frames);
        foreach (var other in new[] { a, c })
        {
            var frame = Assert.Single(other.Frames);
            Assert.Equal("""{"type":"message","from":2,"data":{ "x" : [1, 2.50] }}""", frame.Text);
        }

        Assert.Equal(1, _ctx.Stats.MessagesRelayed);
        Assert.Equal(2, _ctx.Stats.Deliveries);
        Assert.Equal(Encoding.UTF8.GetByteCount("""{ "x" : [1, 2.50] }"""), _ctx.Stats.BytesRelayed);
    }

    [Fact]
    public async Task Host_protocol_broadcast_from_a_non_host_reaches_only_the_host()
    {
        var room = _ctx.CreateRoom(Rooms.Host).Room;
        var (host, a, b) = Three(room);

        var result = await Broadcast(a, "1");

        Assert.False(result.IsError);
        Assert.Equal("""{"type":"message","from":2,"data":1}""", Assert.Single(host.Frames).Text);
        Assert.Empty(a.Frames);
        Assert.Empty(b.Frames);
    }

    [Fact]
    public async Task Host_protocol_broadcast_from_the_host_reaches_everyone_else()
    {
        var room = _ctx.CreateRoom(Rooms.Host).Room;
        var (host, a, b) = Three(room);

        await Broadcast(host, "\"hi\"");

        Assert.Empty(host.Frames);
        Assert.Equal("""{"type":"message","from":1,"data":"hi"}""", Assert.Single(a.Frames).Text);
        Assert.Equal("""{"type":"message","from":1,"data":"hi"}""", Assert.Single(b.Frames).Text);
    }

    [Fact]
    public async Task Host_protocol_broadcast_without_a_host_reaches_nobody()
    {
        var room = _ctx.CreateRoom(Rooms.Host, HostAssignment.Secret).Room;
        var (a, b, c) = Three(room);

        var result = await Broadcast(a, "1");

        Assert.False(result.IsError);
        Assert.Empty(b.Frames);
        Assert.Empty(c.Frames);
    }

    [Fact]
    public async Task Binary_broadcast_sends_the_sender_id_and_payload()
    {
        var room = _ctx.CreateRoom().Room;
        var (a, b, _) = Three(room);

        var result = await _handler.Handle(new BroadcastCommand(a.Client, new byte[] { 9, 8 }, FrameKind.Binary), CancellationToken.None);

        Assert.False(result.IsError);
        var frame = Assert.Single(b.Frames);
        Assert.Equal(FrameKind.Binary, frame.Kind);
        Assert.Equal([0, 0, 0, 1, 9, 8], frame.Bytes);
    }

    [Fact]
    public async Task Broadcast_before_connect_is_not_connected()
    {
        var room = _ctx.CreateRoom().Room;
        var (a, _, _) = Three(room);
        var stranger = _ctx.NewClient();

        var result = await Broadcast(stranger, "1");

        Assert.Equal(ErrorCodes.NotConnected, result.ErrorCode);
        Assert.Empty(a.Frames);
        Assert.Empty(stranger.Frames);
        Assert.Equal(0, _ctx.Stats.MessagesRelayed);
        Assert.Equal(0, room.MessagesRelayed);
    }

    [Fact]
    public async Task A_broadcast_counts_once_in_its_own_room_whatever_its_recipients()
    {
        var room = _ctx.CreateRoom().Room;
        var other = _ctx.CreateRoom().Room;
        var (a, b, _) = Three(room);
        var (lone, _, _) = Three(other);

        await Broadcast(a, "1");
        await Broadcast(b, "2");
        await Broadcast(lone, "3");

        // Once per message, not per recipient (each reached two clients), and only in the room it was sent in.
        Assert.Equal(2, room.MessagesRelayed);
        Assert.Equal(1, other.MessagesRelayed);
        Assert.Equal(3, _ctx.Stats.MessagesRelayed);
        Assert.Equal(6, _ctx.Stats.Deliveries);
    }

    [Fact]
    public async Task Recipients_that_refuse_are_not_counted_and_the_frame_is_released()
    {
        var room = _ctx.CreateRoom().Room;
        var (a, b, c) = Three(room);
        c.Accepts = false;

        await Broadcast(a, "[]");

        Assert.Equal(1, _ctx.Stats.Deliveries);
        var frame = Assert.Single(b.Frames).Frame;
        Assert.Throws<ObjectDisposedException>(() => frame.Memory);
    }

    [Fact]
    public async Task Host_protocol_broadcast_follows_a_host_transfer()
    {
        var room = _ctx.CreateRoom(Rooms.Host).Room;
        var (first, a, b) = Three(room);
        Assert.Equal(Relay.Application.Rooms.Membership.MemberChange.Done, await _ctx.Membership.TransferHostAsync(first.Session!, a.ClientId, CancellationToken.None));
        Array.ForEach([first, a, b], c => c.Clear());

        await Broadcast(a, "1");
        await Broadcast(first, "2");

        Assert.Equal("""{"type":"message","from":2,"data":1}""", Assert.Single(first.Frames).Text);
        Assert.Equal("""{"type":"message","from":2,"data":1}""", Assert.Single(b.Frames).Text);
        Assert.Equal("""{"type":"message","from":1,"data":2}""", Assert.Single(a.Frames).Text);
    }

    [Fact]
    public async Task A_broadcast_in_a_sequenced_room_is_numbered_and_kept_for_clients_coming_back()
    {
        var room = _ctx.CreateRoom(resumeWindowSeconds: 30).Room;
        var clients = _ctx.Seat(room, 3, resume: true);
        var (a, b) = (clients[0], clients[1]);
        var seq = room.Seq;
        var kept = room.History!.Count;

        await Broadcast(a, "7");

        Assert.Equal(seq + 1, room.Seq);
        Assert.Equal($$"""{"type":"message","from":1,"seq":{{seq + 1}},"data":7}""", Assert.Single(b.Frames).Text);
        Assert.Equal(kept + 1, room.History.Count);
        Assert.Empty(a.Frames);
    }

    private (TestClient, TestClient, TestClient) Three(Room room)
    {
        var clients = _ctx.Seat(room, 3);
        return (clients[0], clients[1], clients[2]);
    }
}
