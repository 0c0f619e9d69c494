using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Realtime.Delivery;
using Relay.Application.Realtime.Frames;
using Relay.Domain.Frames;
using Relay.Domain.Rooms;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Application;

/// <summary>The one delivery path: one shared frame per audience member, the resume layout for resumable clients, history, counts.</summary>
public sealed class RoomDeliveryTests
{
    private static readonly DateTimeOffset T0 = ManualTimeProvider.Epoch;

    private readonly ManualTimeProvider _time = new();
    private readonly RelayStats _stats;
    private readonly RoomDelivery _delivery;

    public RoomDeliveryTests()
    {
        _stats = new RelayStats(_time);
        _delivery = new RoomDelivery(_stats, _time);
    }

    private static (Room Room, TestConnection[] Connections) RoomOf(int members, int resumeWindowSeconds = 0, bool resumable = false)
    {
        var room = Rooms.Create(resumeWindowSeconds: resumeWindowSeconds);
        if (resumeWindowSeconds > 0)
        {
            room.KeepHistory(100, 100_000);
        }

        var connections = Enumerable.Range(0, members).Select(_ => new TestConnection()).ToArray();
        foreach (var (connection, i) in connections.Select((c, i) => (c, i)))
        {
            Rooms.Join(room, "c" + (i + 1), connection: connection, resumable: resumable);
        }

        return (room, connections);
    }

    [Fact]
    public void A_relay_queues_one_shared_frame_to_each_member_of_its_audience_and_counts_them()
    {
        var (room, c) = RoomOf(4);

        var delivered = _delivery.Relay(room, new RelayMessage(FrameKind.Text, 2, "[1]"u8.ToArray(), Audience.AllBut(2)), 0);

        Assert.Equal(3, delivered);
        Assert.Equal(3, _stats.Deliveries);
        Assert.Empty(c[1].Frames);
        var frames = new[] { c[0], c[2], c[3] }.Select(x => Assert.Single(x.Frames)).ToArray();
        Assert.All(frames, f => Assert.Same(frames[0].Frame, f.Frame));
        Assert.Equal("""{"type":"message","from":2,"data":[1]}""", frames[0].Text);
        Assert.True(FrameState.IsReleased(frames[0].Frame));
        Assert.Null(room.History);
    }

    [Fact]
    public void Members_that_refuse_are_not_counted()
    {
        var (room, c) = RoomOf(3);
        c[2].Accepts = false;

        Assert.Equal(1, _delivery.Relay(room, new RelayMessage(FrameKind.Binary, 1, new byte[] { 5 }, Audience.AllBut(1)), 0));

        Assert.Equal(1, _stats.Deliveries);
        Assert.Equal([0, 0, 0, 1, 5], Assert.Single(c[1].Frames).Bytes);
    }

    [Fact]
    public void In_a_sequenced_room_resumable_members_get_the_binary_relay_with_the_12_byte_header()
    {
        var room = Rooms.Create(resumeWindowSeconds: 30);
        room.KeepHistory(100, 100_000);
        var sender = new TestConnection();
        var plain = new[] { new TestConnection(), new TestConnection() };
        var resumable = new[] { new TestConnection(), new TestConnection() };
        Rooms.Join(room, "sender", connection: sender);
        Array.ForEach(plain, p => Rooms.Join(room, connection: p));
        Array.ForEach(resumable, r => Rooms.Join(room, "r", connection: r, resumable: true));

        var delivered = _delivery.Relay(room, new RelayMessage(FrameKind.Binary, 1, new byte[] { 0xAB }, Audience.AllBut(1)), 0x0102);

        Assert.Equal(4, delivered);
        Assert.Empty(sender.Frames);
        var plainFrames = plain.Select(p => Assert.Single(p.Frames)).ToArray();
        var resumeFrames = resumable.Select(r => Assert.Single(r.Frames)).ToArray();
        Assert.All(plainFrames, f => Assert.Equal([0, 0, 0, 1, 0xAB], f.Bytes));
        Assert.All(resumeFrames, f => Assert.Equal([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 2, 0xAB], f.Bytes));
        Assert.Same(plainFrames[0].Frame, plainFrames[1].Frame);
        Assert.Same(resumeFrames[0].Frame, resumeFrames[1].Frame);
        Assert.NotSame(plainFrames[0].Frame, resumeFrames[0].Frame);
    }

    [Fact]
    public void A_sequenced_relay_is_kept_as_the_frame_a_resumable_client_gets_with_its_audience()
    {
        var (room, _) = RoomOf(3, resumeWindowSeconds: 30, resumable: true);
        var kept = room.History!.Count;

        _delivery.Relay(room, new RelayMessage(FrameKind.Binary, 1, new byte[] { 9 }, Audience.Single(3)), 40);
        _delivery.Relay(room, new RelayMessage(FrameKind.Text, 1, "2"u8.ToArray(), Audience.AllBut(1)), 41);

        Assert.Equal(kept + 2, room.History.Count);
        var forThree = new List<OutboundFrame>();
        var forTwo = new List<OutboundFrame>();
        Assert.True(room.History.TryCollect(39, 3, forThree));
        Assert.True(room.History.TryCollect(39, 2, forTwo));
        Assert.Equal([new byte[] { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 40, 9 }, """{"type":"message","from":1,"seq":41,"data":2}"""u8.ToArray()], forThree.Select(f => f.Memory.ToArray()));
        Assert.Equal(["""{"type":"message","from":1,"seq":41,"data":2}"""u8.ToArray()], forTwo.Select(f => f.Memory.ToArray()));
        Assert.All(forThree.Concat(forTwo), f => f.Release());
    }

    [Fact]
    public void A_relay_without_seq_is_not_kept()
    {
        var (room, _) = RoomOf(2, resumeWindowSeconds: 30);
        var kept = room.History!.Count;

        _delivery.Relay(room, new RelayMessage(FrameKind.Text, 1, "1"u8.ToArray(), Audience.AllBut(1)), 0);

        Assert.Equal(kept, room.History.Count);
    }

    [Fact]
    public void Publish_delivers_an_event_frame_to_its_audience_keeps_it_when_numbered_and_releases_the_caller_s_reference()
    {
        var (room, c) = RoomOf(3, resumeWindowSeconds: 30, resumable: true);
        c[2].Accepts = false;
        var kept = room.History!.Count;
        var frame = ServerFrames.HostChanged(1, 7);

        var delivered = _delivery.Publish(room, Audience.AllBut(1), frame, 7);

        Assert.Equal(1, delivered);
        Assert.Empty(c[0].Frames);
        Assert.Same(frame, Assert.Single(c[1].Frames).Frame);
        Assert.Equal(kept + 1, room.History.Count);
        Assert.False(FrameState.IsReleased(frame));
        Assert.Equal(0, _stats.Deliveries);

        var unnumbered = ServerFrames.HostChanged(1);
        _delivery.Publish(room, Audience.Everyone, unnumbered, 0);
        Assert.True(FrameState.IsReleased(unnumbered));
        Assert.Equal(kept + 1, room.History.Count);
    }

    [Fact]
    public void A_sequenced_room_nobody_joined_resumable_keeps_no_history()
    {
        var (room, c) = RoomOf(2, resumeWindowSeconds: 30);

        _delivery.Publish(room, Audience.Everyone, ServerFrames.HostChanged(1, 5), 5);

        Assert.Equal(2, c.Sum(x => x.Frames.Count));
        Assert.Equal(0, room.History!.Count);
    }

    [Fact]
    public void Away_and_remote_members_get_nothing_here_but_count_as_addressed()
    {
        var room = Rooms.Create(resumeWindowSeconds: 30);
        var here = new TestConnection();
        Rooms.Join(room, connection: here);
        var away = Rooms.Join(room, "a", resumable: true);
        room.ApplyAway(room.DecideAway(away.ClientId, T0).Event!, room.Seq + 1);
        Rooms.Apply(room, room.DecideJoin(Rooms.Attempt(node: "node-b")).Event!, null, "node-b");

        var delivered = _delivery.Relay(room, new RelayMessage(FrameKind.Text, 0, "1"u8.ToArray(), Audience.Everyone), 0);

        Assert.Equal(1, delivered);
        Assert.Single(here.Frames);
        Assert.Equal(3, RoomDelivery.CountAddressed(room, Audience.Everyone));
        Assert.Equal(1, RoomDelivery.CountAddressed(room, Audience.Listed([2, 9])));
    }

    [Fact]
    public void Reply_queues_to_one_connection_and_releases_the_caller_s_reference()
    {
        var connection = new TestConnection();
        var frame = ServerFrames.Pong(default);
        var orphan = ServerFrames.Pong(default);

        Assert.True(RoomDelivery.Reply(connection, frame));
        Assert.False(RoomDelivery.Reply(null, orphan));

        Assert.Same(frame, Assert.Single(connection.Frames).Frame);
        Assert.True(FrameState.IsReleased(frame));
        Assert.True(FrameState.IsReleased(orphan));
    }
}
