using System.Text.Json;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Realtime.Frames;
using Relay.Application.Realtime.Parsing;
using Relay.Domain.Connections;
using Relay.Domain.Frames;
using Relay.Domain.Rooms;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Application;

/// <summary>
/// A copy of a room applying committed events as a cluster node does: this node's sessions and stand-ins for members
/// connected to other nodes side by side. The applier is this node's (<c>local</c>); events name the node of each member.
/// </summary>
public sealed class RoomEventApplierTests
{
    private readonly RealtimeContext _ctx = new();
    private readonly Room _room;
    private readonly DateTimeOffset _now;

    public RoomEventApplierTests()
    {
        _room = _ctx.CreateRoom().Room;
        _now = _ctx.Time.GetUtcNow();
    }

    private static MemberJoined Joined(int clientId, string node, bool becomesHost = false, string? name = null, string joinToken = "") =>
        new(clientId, name, null, node, ManualTimeProvider.Epoch, becomesHost, false, null, joinToken);

    private void Apply(RoomEvent e) => _ctx.Applier.Apply(_room, e, _room.Seq + 1);

    /// <summary>A connection of this node waiting for its join event, then the event applied.</summary>
    private TestClient JoinLocal(int clientId, bool becomesHost = false, string? name = null)
    {
        var client = _ctx.NewClient();
        var token = _ctx.Pending.NewToken(InMemoryNodeId);
        var arrival = _ctx.Pending.Register(token, client.Client, MessageRef.None, null);
        Apply(Joined(clientId, InMemoryNodeId, becomesHost, name, token));
        Assert.True(arrival.Seated.Task.IsCompletedSuccessfully);
        Assert.Same(client.Session, arrival.Seated.Task.Result);
        return client;
    }

    private const string InMemoryNodeId = "local";

    [Fact]
    public void A_local_joiner_gets_connected_first_and_listing_the_remote_members()
    {
        Apply(Joined(1, "node-b", becomesHost: true, name: "remote"));

        var local = JoinLocal(2, name: "local");

        Assert.Equal(["connected"], local.Types);
        var connected = local.Single("connected");
        Assert.Equal(2, connected.GetProperty("clientId").GetInt32());
        Assert.Equal(1, connected.GetProperty("hostId").GetInt32());
        Assert.Equal([1, 2], connected.GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("clientId").GetInt32()));
        Assert.True(_room.HasRemoteMembers);
    }

    [Fact]
    public void Local_members_are_told_of_a_remote_join_and_its_host_change()
    {
        var local = JoinLocal(1, becomesHost: true);
        local.Clear();

        Apply(Joined(2, "node-b", becomesHost: true, name: "bob"));

        Assert.Equal(["client_joined", "host_changed"], local.Types);
        Assert.Equal("bob", local.SingleOfType("client_joined").GetProperty("name").GetString());
        Assert.Equal(2, _room.HostId);
        Assert.False(local.Session!.IsHost);
    }

    [Fact]
    public void Members_stay_in_client_id_order_whatever_the_order_they_are_applied_in()
    {
        foreach (var id in new[] { 3, 1, 2 })
        {
            Apply(Joined(id, "n"));
        }

        Assert.Equal([1, 2, 3], _room.Members.ToArray().Select(m => m.ClientId));
        Apply(Joined(2, "n"));
        Assert.Equal(3, _room.ClientCount);
        Assert.Null(_room.ApplyJoin(Joined(2, "n"), _room.Seq + 1, null, "n"));
    }

    [Fact]
    public void A_remote_departure_with_a_new_host_tells_local_members_in_order()
    {
        Apply(Joined(1, "node-b", becomesHost: true));
        var local = JoinLocal(2);
        local.Clear();

        Apply(new MemberLeft(1, LeaveReasons.Disconnected, null, new HostSuccession(SuccessionKind.PassTo, 2)));

        Assert.Equal(["client_left", "host_changed"], local.Types);
        Assert.Equal(2, _room.HostId);
        Assert.True(local.Session!.IsHost);

        Apply(new MemberLeft(1, LeaveReasons.Disconnected, null, new HostSuccession(SuccessionKind.PassTo, 2)));
        Assert.Equal(2, local.Frames.Count);
    }

    [Fact]
    public void A_host_leaving_a_room_without_host_migration_is_announced_as_no_host()
    {
        Apply(Joined(1, "node-b", becomesHost: true));
        var local = JoinLocal(2);
        local.Clear();

        Apply(new MemberLeft(1, LeaveReasons.Left, null, new HostSuccession(SuccessionKind.NoHost, 0)));

        Assert.Equal(["client_left", "host_changed"], local.Types);
        Assert.Equal(JsonValueKind.Null, local.SingleOfType("host_changed").GetProperty("hostId").ValueKind);
        Assert.Null(_room.HostId);
    }

    [Fact]
    public void A_host_departure_that_closes_the_room_tells_local_members_and_closes_them_with_4000()
    {
        Apply(Joined(1, "node-b", becomesHost: true));
        var local = JoinLocal(2);
        local.Clear();

        Apply(new MemberLeft(1, LeaveReasons.Left, null, new HostSuccession(SuccessionKind.CloseRoom, 0)));

        Assert.Equal(["client_left", "room_closed"], local.Types);
        Assert.Equal("host_left", local.SingleOfType("room_closed").GetProperty("reason").GetString());
        Assert.Equal([CloseCodes.RoomClosed], local.CloseCodes);
        Assert.True(_room.IsClosed);
    }

    [Fact]
    public void A_local_member_kicked_elsewhere_gets_kicked_and_close_4001()
    {
        var local = JoinLocal(1);
        local.Clear();

        Apply(new MemberLeft(1, LeaveReasons.Kicked, "spam", HostSuccession.Unchanged));

        Assert.Equal(["kicked"], local.Types);
        Assert.Equal("spam", local.Single("kicked").GetProperty("reason").GetString());
        Assert.Equal([CloseCodes.Kicked], local.CloseCodes);
        Assert.Null(local.Session);
    }

    [Fact]
    public void A_local_member_removed_as_disconnected_by_the_cluster_is_closed_with_1001()
    {
        var local = JoinLocal(1);

        Apply(new MemberLeft(1, LeaveReasons.Disconnected, null, HostSuccession.Unchanged));

        Assert.Equal([CloseCodes.GoingAway], local.CloseCodes);
        Assert.Null(local.Session);
    }

    [Fact]
    public void A_local_member_that_left_itself_is_not_closed()
    {
        var local = JoinLocal(1);

        Apply(new MemberLeft(1, LeaveReasons.Left, null, HostSuccession.Unchanged));

        Assert.Empty(local.CloseCodes);
        Assert.Null(local.Session);
    }

    [Fact]
    public void A_host_set_by_the_cluster_is_announced_once()
    {
        var local = JoinLocal(1);
        local.Clear();

        Apply(new HostTransferred(1));
        Apply(new HostTransferred(1));

        Assert.Equal(["host_changed"], local.Types);
        Assert.True(local.Session!.IsHost);
    }

    [Fact]
    public void Remote_stand_ins_receive_nothing_locally()
    {
        Apply(Joined(1, "node-b"));
        var local = JoinLocal(2);
        local.Clear();
        var session = _room.Find(1)!;
        var frame = RelayFrames.Message(2, "1"u8);

        _ctx.Applier.DeliverRelay(_room, new RelayMessage(FrameKind.Text, 3, "7"u8.ToArray(), Audience.Everyone), 0);

        Assert.True(session.IsRemote);
        Assert.Equal("node-b", session.NodeId);
        Assert.False(session.TrySend(frame));
        Assert.Equal("""{"type":"message","from":3,"data":7}""", Assert.Single(local.Frames).Text);
        Assert.Equal(1, _ctx.Stats.Deliveries);
        frame.Release();
    }

    [Fact]
    public void A_local_join_whose_connection_gave_up_waiting_holds_a_hidden_seat_to_give_back()
    {
        var local = JoinLocal(1);
        local.Clear();

        Apply(Joined(2, InMemoryNodeId, joinToken: "local:gone"));

        Assert.Empty(local.Frames);
        Assert.True(_room.Find(2)!.IsHidden);
        Assert.True(_ctx.Orphans.Contains(_room.Id, 2));
    }

    [Fact]
    public void A_sequenced_relay_to_the_host_goes_to_whoever_is_host_at_its_place_in_the_sequence()
    {
        var room = _ctx.CreateRoom(Rooms.Host, resumeWindowSeconds: 30, id: "seq").Room;
        var c = _ctx.Seat(room, 3);
        _ctx.Applier.Apply(room, new HostTransferred(2), room.Seq + 1);
        Array.ForEach(c, x => x.Clear());

        _ctx.Applier.DeliverRelay(room, new RelayMessage(FrameKind.Text, 3, "1"u8.ToArray(), Audience.Single(1), ToHost: true), room.Seq + 1);

        Assert.Empty(c[0].Frames);
        Assert.Equal($$"""{"type":"message","from":3,"seq":{{room.Seq}},"data":1}""", Assert.Single(c[1].Frames).Text);
        Assert.Empty(c[2].Frames);
    }

    [Fact]
    public void A_read_only_copy_lists_every_member_as_a_stand_in()
    {
        var snapshot = Snapshot(
            new MemberRecord(Joined(1, InMemoryNodeId, name: "here"), 2, InMemoryNodeId, null),
            new MemberRecord(Joined(3, "node-b", name: "there"), 4, "node-b", null));

        var copy = _ctx.Applier.Build(snapshot, live: false);

        Assert.Equal([1, 3], copy.Members.ToArray().Select(m => m.ClientId));
        Assert.All(copy.Members.ToArray(), m => Assert.Null(m.Connection));
        Assert.Equal((7L, 9L, 3, 1), (copy.Version, copy.Seq, copy.LastClientId, copy.HostId));
        Assert.Equal(0, _ctx.Orphans.Count);
    }

    [Fact]
    public void A_live_copy_seats_this_node_s_waiting_join_and_gives_back_a_seat_with_no_connection_here()
    {
        var waiting = _ctx.NewClient();
        _ctx.Pending.Register("local:w", waiting.Client, MessageRef.None, null);
        var snapshot = Snapshot(
            new MemberRecord(Joined(1, InMemoryNodeId, joinToken: "local:gone"), 2, InMemoryNodeId, null),
            new MemberRecord(Joined(3, InMemoryNodeId, joinToken: "local:w"), 4, InMemoryNodeId, null));

        var copy = _ctx.Applier.Build(snapshot, live: true);

        Assert.Equal(3, waiting.ClientId);
        Assert.Same(copy, waiting.Session!.Room);
        Assert.Equal(["connected"], waiting.Types);
        Assert.True(copy.Find(1)!.IsHidden);
        Assert.True(_ctx.Orphans.Contains(_room.Id, 1));
    }

    [Fact]
    public void Reconciling_with_a_snapshot_tells_local_members_what_they_missed()
    {
        Apply(Joined(1, "node-b", becomesHost: true));
        Apply(Joined(2, "node-b"));
        var local = JoinLocal(3);
        local.Clear();
        var joinedAway = Joined(2, "node-b");

        // Meanwhile (events missed): 1 left, 2 went away, 4 joined elsewhere, and 3 became host.
        var snapshot = Snapshot(
            hostId: 3,
            members:
            [
                new MemberRecord(joinedAway, 3, null, _now.AddSeconds(30)),
                new MemberRecord(Joined(3, InMemoryNodeId), 4, InMemoryNodeId, null),
                new MemberRecord(Joined(4, "node-c", name: "dan"), 6, "node-c", null),
            ]);
        _ctx.Applier.Reconcile(_room, snapshot, live: true);

        Assert.Equal(["client_left", "client_away", "client_joined", "host_changed"], local.Types);
        Assert.Equal("disconnected", local.SingleOfType("client_left").GetProperty("reason").GetString());
        Assert.Equal(3, local.SingleOfType("host_changed").GetProperty("hostId").GetInt32());
        Assert.Equal([2, 3, 4], _room.Members.ToArray().Select(m => m.ClientId));
        Assert.True(_room.Find(2)!.IsAway);
        Assert.True(local.Session!.IsHost);
        Assert.Equal(7, _room.Version);
    }

    private RoomSnapshot Snapshot(params MemberRecord[] members) => Snapshot(1, members);

    private RoomSnapshot Snapshot(int? hostId, MemberRecord[] members) =>
        new(Rooms.Settings(id: _room.Id), _room.CreatedAt, Locked: false, hostId, LastClientId: members.Max(m => m.Joined.ClientId),
            Version: 7, Seq: 9, EmptySince: null, members);
}
