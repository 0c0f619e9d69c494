using NSubstitute;
using Relay.Application.Common;
using Relay.Application.Realtime.Parsing;
using Relay.Domain.Sessions;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Handlers;

/// <summary>A cluster replica applying decided changes: local sessions and remote stand-ins side by side.</summary>
public sealed class ReplicaApplyTests
{
    private readonly RealtimeContext _ctx = new();

    [Fact]
    public void A_local_joiner_gets_connected_first_and_listing_the_remote_members()
    {
        var room = _ctx.CreateRoom().Room;
        var now = _ctx.Time.GetUtcNow();
        Assert.True(_ctx.Coordinator.ApplyJoin(room, Session.Remote("node-b", now), 1, "remote", true, now, MessageRef.None));
        var local = new TestClient();

        Assert.True(_ctx.Coordinator.ApplyJoin(room, local.Session, 2, "local", false, now, MessageRef.None));

        Assert.Equal(["connected"], local.Types);
        var connected = local.Single("connected");
        Assert.Equal(2, connected.GetProperty("clientId").GetInt32());
        Assert.Equal(1, connected.GetProperty("hostId").GetInt32());
        Assert.Equal([1, 2], connected.GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("clientId").GetInt32()));
    }

    [Fact]
    public void Members_stay_in_client_id_order_whatever_the_order_they_are_applied_in()
    {
        var room = _ctx.CreateRoom().Room;
        var now = _ctx.Time.GetUtcNow();
        foreach (var id in new[] { 3, 1, 2 })
        {
            Assert.True(room.JoinAs(Session.Remote("n", now), id, null, false, now).Joined);
        }

        Assert.Equal([1, 2, 3], room.Members.ToArray().Select(m => m.ClientId));
        Assert.False(room.JoinAs(Session.Remote("n", now), 2, null, false, now).Joined);
    }

    [Fact]
    public void A_remote_departure_with_a_new_host_tells_local_members_in_order()
    {
        var room = _ctx.CreateRoom().Room;
        var now = _ctx.Time.GetUtcNow();
        _ctx.Coordinator.ApplyJoin(room, Session.Remote("node-b", now), 1, null, true, now, MessageRef.None);
        var local = new TestClient();
        _ctx.Coordinator.ApplyJoin(room, local.Session, 2, null, false, now, MessageRef.None);
        local.Clear();

        Assert.True(_ctx.Coordinator.ApplyRemove(room, 1, LeaveReasons.Disconnected, null, hostChanged: true, newHostId: 2));

        Assert.Equal(["client_left", "host_changed"], local.Types);
        Assert.Equal(2, room.HostId);
        Assert.True(local.Session.IsHost);
        Assert.False(_ctx.Coordinator.ApplyRemove(room, 1, LeaveReasons.Disconnected, null, true, 2));
    }

    [Fact]
    public void A_host_leaving_a_room_without_host_migration_is_announced_as_no_host()
    {
        var room = _ctx.CreateRoom().Room;
        var now = _ctx.Time.GetUtcNow();
        _ctx.Coordinator.ApplyJoin(room, Session.Remote("node-b", now), 1, null, true, now, MessageRef.None);
        var local = new TestClient();
        _ctx.Coordinator.ApplyJoin(room, local.Session, 2, null, false, now, MessageRef.None);
        local.Clear();

        _ctx.Coordinator.ApplyRemove(room, 1, LeaveReasons.Left, null, hostChanged: true, newHostId: null);

        Assert.Equal(["client_left", "host_changed"], local.Types);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, local.SingleOfType("host_changed").GetProperty("hostId").ValueKind);
        Assert.Null(room.HostId);
    }

    [Fact]
    public void A_local_member_kicked_elsewhere_gets_kicked_and_close_4001()
    {
        var room = _ctx.CreateRoom().Room;
        var now = _ctx.Time.GetUtcNow();
        var local = new TestClient();
        _ctx.Coordinator.ApplyJoin(room, local.Session, 1, null, false, now, MessageRef.None);
        local.Clear();

        _ctx.Coordinator.ApplyRemove(room, 1, LeaveReasons.Kicked, "spam", false, null);

        Assert.Equal(["kicked"], local.Types);
        Assert.Equal("spam", local.Single("kicked").GetProperty("reason").GetString());
        local.Transport.Received(1).Close(CloseCodes.Kicked, Arg.Any<string>());
        Assert.Null(local.Session.Room);
    }

    [Fact]
    public void A_local_member_removed_as_disconnected_by_the_cluster_is_closed_with_1001()
    {
        var room = _ctx.CreateRoom().Room;
        var now = _ctx.Time.GetUtcNow();
        var local = new TestClient();
        _ctx.Coordinator.ApplyJoin(room, local.Session, 1, null, false, now, MessageRef.None);

        _ctx.Coordinator.ApplyRemove(room, 1, LeaveReasons.Disconnected, null, false, null);

        local.Transport.Received(1).Close(CloseCodes.GoingAway, Arg.Any<string>());
    }

    [Fact]
    public void A_host_set_by_the_cluster_is_announced_once()
    {
        var room = _ctx.CreateRoom().Room;
        var now = _ctx.Time.GetUtcNow();
        var local = new TestClient();
        _ctx.Coordinator.ApplyJoin(room, local.Session, 1, null, false, now, MessageRef.None);
        local.Clear();

        Assert.True(_ctx.Coordinator.ApplyHost(room, 1));
        Assert.False(_ctx.Coordinator.ApplyHost(room, 1));

        Assert.Equal(["host_changed"], local.Types);
        Assert.True(local.Session.IsHost);
    }

    [Fact]
    public void Remote_stand_ins_receive_nothing_locally()
    {
        var session = Session.Remote("node-b", _ctx.Time.GetUtcNow());
        var frame = Relay.Application.Realtime.Frames.RelayFrames.Message(1, "1"u8);

        Assert.True(session.IsRemote);
        Assert.Equal("node-b", session.NodeId);
        Assert.False(session.TrySend(frame));
        frame.Release();
    }
}
