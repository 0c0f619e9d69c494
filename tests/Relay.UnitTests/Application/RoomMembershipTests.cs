using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Rooms.Membership;
using Relay.Domain.Connections;
using Relay.Domain.Rooms;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Application;

/// <summary>
/// Every membership change as decide → commit → decide again on conflict, over the real in-memory backplane (wrapped
/// where a test scripts another node's change or a store outage).
/// </summary>
public sealed class RoomMembershipTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly ScriptedBackplane _backplane;
    private readonly RealtimeContext _ctx;

    public RoomMembershipTests()
    {
        _ctx = new RealtimeContext(wrap: inner => new ScriptedBackplane(inner));
        _backplane = (ScriptedBackplane)_ctx.Backplane;
    }

    [Fact]
    public async Task Kicking_the_host_of_a_mesh_room_passes_the_host_on()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 3);

        Assert.Equal(MemberChange.Done, await _ctx.Membership.KickAsync(room, 1, "by the backend", null, None));

        Assert.Equal(["kicked"], c[0].Types);
        Assert.Equal("by the backend", c[0].Single("kicked").GetProperty("reason").GetString());
        Assert.Equal([CloseCodes.Kicked], c[0].CloseCodes);
        Assert.Equal(2, room.HostId);
        foreach (var other in new[] { c[1], c[2] })
        {
            Assert.Equal(["client_left", "host_changed"], other.Types);
            Assert.Equal("kicked", other.SingleOfType("client_left").GetProperty("reason").GetString());
            Assert.Equal(2, other.SingleOfType("host_changed").GetProperty("hostId").GetInt32());
        }
    }

    [Fact]
    public async Task Kicking_the_host_of_a_host_room_closes_it()
    {
        var room = _ctx.CreateRoom(Rooms.Host).Room;
        var c = _ctx.Seat(room, 2);

        Assert.Equal(MemberChange.Done, await _ctx.Membership.KickAsync(room, 1, "by the backend", null, None));

        Assert.Equal(["client_left", "room_closed"], c[1].Types);
        Assert.Equal("host_left", c[1].SingleOfType("room_closed").GetProperty("reason").GetString());
        Assert.Equal([CloseCodes.RoomClosed], c[1].CloseCodes);
        Assert.Null(await _ctx.Manager.FindAsync(room.Id, None));
        Assert.Empty(_ctx.Backplane.Held);
    }

    [Fact]
    public async Task Kicking_someone_who_already_left_does_nothing()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 2);
        _ctx.Leave(c[1]);
        c[0].Clear();

        Assert.Equal(MemberChange.UnknownClient, await _ctx.Membership.KickAsync(room, 2, "late", null, None));

        Assert.Empty(c[1].Frames);
        Assert.Empty(c[1].CloseCodes);
        Assert.Empty(c[0].Frames);
    }

    [Fact]
    public async Task A_kick_by_a_host_that_lost_the_role_meanwhile_is_not_host()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 3);
        var formerHost = c[0].Session!;
        Assert.Equal(MemberChange.Done, await _ctx.Membership.TransferHostAsync(formerHost, 2, None));

        Assert.Equal(MemberChange.NotHost, await _ctx.Membership.KickAsync(room, 3, "spam", formerHost, None));
        Assert.Equal(3, room.ClientCount);
    }

    [Fact]
    public async Task Leaving_twice_is_an_unknown_client_the_second_time()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 2);
        var seat = c[1].Session!;
        Assert.Equal(MemberChange.Done, _ctx.Leave(c[1]));
        c[0].Clear();

        Assert.Equal(MemberChange.UnknownClient, await _ctx.Membership.LeaveAsync(seat, c[1].Id, LeaveReasons.Left, None));
        Assert.Empty(c[0].Frames);
    }

    [Fact]
    public void Joining_while_seated_anywhere_is_already_in_room()
    {
        var room = _ctx.CreateRoom().Room;
        var other = _ctx.CreateRoom(id: "room-2").Room;
        var client = _ctx.Joined(room);

        Assert.Equal(JoinOutcome.AlreadyInRoom, _ctx.Join(client, room));
        Assert.Equal(JoinOutcome.AlreadyInRoom, _ctx.Join(client, other));
        Assert.Same(room, client.Session!.Room);
        Assert.Equal(1, room.ClientCount);
        Assert.Equal(0, other.ClientCount);
    }

    [Fact]
    public async Task Concurrent_joins_fill_exactly_the_free_seats_with_distinct_ids_and_one_host()
    {
        const int Seats = 5;
        const int Threads = 24;
        for (var iteration = 0; iteration < 20; iteration++)
        {
            var ctx = new RealtimeContext();
            var room = ctx.CreateRoom(maxClients: Seats).Room;
            var clients = Enumerable.Range(0, Threads).Select(_ => ctx.NewClient()).ToArray();

            var outcomes = await Concurrently.RunSyncAsync(Threads, i => ctx.Join(clients[i], room));

            Assert.Equal(Seats, outcomes.Count(o => o == JoinOutcome.Joined));
            Assert.All(outcomes.Where(o => o != JoinOutcome.Joined), o => Assert.Equal(JoinOutcome.Full, o));
            var seated = clients.Where(c => c.Session is not null).ToArray();
            Assert.Equal(Enumerable.Range(1, Seats), seated.Select(c => c.ClientId).Order());
            Assert.Equal(Seats, room.ClientCount);
            Assert.Single(seated, c => c.Session!.IsHost);
            Assert.All(seated, c => Assert.Equal("connected", c.Types[0]));
            Assert.All(clients.Where(c => c.Session is null), c => Assert.Empty(c.Frames));
        }
    }

    [Fact]
    public void A_join_decided_on_an_out_of_date_copy_is_decided_again()
    {
        var room = _ctx.CreateRoom(maxClients: 3).Room;
        _ctx.Joined(room);
        TakeASeatFirstOnce(room);
        var client = _ctx.NewClient();

        Assert.Equal(JoinOutcome.Joined, _ctx.Join(client, room));

        Assert.Equal(3, client.ClientId);
        Assert.Equal(3, room.ClientCount);
        Assert.Equal([1, 2, 3], client.Single("connected").GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("clientId").GetInt32()));
        Assert.Equal(3, _backplane.Commits);
    }

    [Fact]
    public void A_join_whose_seat_another_node_took_meanwhile_is_full()
    {
        var room = _ctx.CreateRoom(maxClients: 2).Room;
        var member = _ctx.Joined(room);
        TakeASeatFirstOnce(room);
        var client = _ctx.NewClient();

        Assert.Equal(JoinOutcome.Full, _ctx.Join(client, room));

        Assert.Null(client.Session);
        Assert.Empty(client.Frames);
        Assert.Equal(2, room.ClientCount);
        Assert.Equal(["client_joined"], member.Types);
        Assert.False(_ctx.Pending.IsWaiting("local:2"));
    }

    [Fact]
    public void A_change_that_keeps_conflicting_is_answered_unavailable()
    {
        var room = _ctx.CreateRoom().Room;
        _backplane.BeforeCommit = (_, _, _) => CommitResult.Conflict;
        var client = _ctx.NewClient();

        Assert.Equal(JoinOutcome.Unavailable, _ctx.Join(client, room));

        Assert.Null(client.Session);
        Assert.Equal(0, room.ClientCount);
        Assert.True(_backplane.Commits > 1);
    }

    [Fact]
    public void A_join_while_the_store_is_unreachable_is_unavailable_and_seats_nobody()
    {
        var room = _ctx.CreateRoom().Room;
        _backplane.BeforeCommit = (_, _, _) => throw new RoomStoreUnavailableException("down");
        var client = _ctx.NewClient();

        Assert.Equal(JoinOutcome.Unavailable, _ctx.Join(client, room));

        Assert.Null(client.Session);
        Assert.Empty(client.Frames);
        Assert.Equal(0, room.ClientCount);
    }

    [Fact]
    public async Task A_leave_while_the_store_is_unreachable_tells_the_members_now_and_gives_the_seat_back_later()
    {
        var room = _ctx.CreateRoom().Room;
        var c = _ctx.Seat(room, 2);
        var seat = c[1].Session!;
        _backplane.BeforeCommit = (_, _, _) => throw new RoomStoreUnavailableException("down");

        Assert.Equal(MemberChange.Done, _ctx.Leave(c[1]));

        Assert.Equal("left", c[0].Single("client_left").GetProperty("reason").GetString());
        Assert.True(seat.IsHidden);
        Assert.Null(c[1].Session);
        Assert.Equal(2, room.ClientCount);
        Assert.True(_ctx.Orphans.Contains(room.Id, 2));

        Assert.Equal(0, await _ctx.Membership.ReleaseOrphansAsync(None));
        Assert.Equal(1, _ctx.Orphans.Count);

        _backplane.BeforeCommit = null;
        Assert.Equal(1, await _ctx.Membership.ReleaseOrphansAsync(None));

        Assert.Equal(0, _ctx.Orphans.Count);
        Assert.Equal(1, room.ClientCount);
        Assert.False(seat.IsMember);
        Assert.Single(c[0].Frames);
    }

    [Fact]
    public async Task Update_changes_the_room_and_tells_nobody()
    {
        var room = _ctx.CreateRoom(maxClients: 4).Room;
        var c = _ctx.Seat(room, 1);
        var metadata = RoomMetadata.FromJson("""{"v":2}""");

        Assert.Equal(MemberChange.Done, await _ctx.Membership.UpdateAsync(room, 2, true, metadata, 60, None));

        Assert.Equal(2, room.MaxClients);
        Assert.True(room.Locked);
        Assert.Same(metadata, room.Metadata);
        Assert.Equal(60, room.ResumeWindowSeconds);
        Assert.Empty(c[0].Frames);
    }

    [Fact]
    public async Task Expire_closes_only_a_room_empty_for_the_ttl()
    {
        var room = _ctx.CreateRoom().Room;
        var ttl = TimeSpan.FromMinutes(5);
        _ctx.Time.Advance(ttl - TimeSpan.FromSeconds(1));

        Assert.False(await _ctx.Membership.ExpireAsync(room, ttl, None));
        _ctx.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await _ctx.Membership.ExpireAsync(room, ttl, None));

        Assert.True(room.IsClosed);
        Assert.Null(await _ctx.Manager.FindAsync(room.Id, None));
    }

    [Fact]
    public async Task An_away_host_whose_window_ends_leaves_with_timeout_and_passes_the_role_on()
    {
        var room = _ctx.CreateRoom(resumeWindowSeconds: 30).Room;
        var c = _ctx.Seat(room, 2, resume: true);
        await _ctx.Membership.DisconnectAsync(c[0].Session!, c[0].Id, LeaveReasons.Disconnected, mayResume: true, None);
        c[1].Clear();

        _ctx.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, await _ctx.Membership.EndAwayWindowsAsync(room, None));
        _ctx.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await _ctx.Membership.EndAwayWindowsAsync(room, None));

        Assert.Equal(["client_left", "host_changed"], c[1].Types);
        Assert.Equal("timeout", c[1].SingleOfType("client_left").GetProperty("reason").GetString());
        Assert.Equal(2, room.HostId);
        Assert.Equal(1, room.ClientCount);
        Assert.Equal(0, await _ctx.Membership.EndAwayWindowsAsync(room, None));
    }

    [Fact]
    public async Task A_member_whose_node_died_becomes_away_when_it_can_resume_and_leaves_otherwise()
    {
        var room = _ctx.CreateRoom(resumeWindowSeconds: 30).Room;
        var c = _ctx.Seat(room, 3);
        var resumable = _ctx.Joined(room, "r", resume: true);
        var id = resumable.ClientId;
        c[0].Clear();

        Assert.True(await _ctx.Membership.DropAsync(room, id, None));
        Assert.True(await _ctx.Membership.DropAsync(room, 3, None));
        Assert.True(await _ctx.Membership.DropAsync(room, 99, None));

        Assert.Equal(["client_away", "client_left"], c[0].Types);
        Assert.Equal("disconnected", c[0].SingleOfType("client_left").GetProperty("reason").GetString());
        Assert.Equal(1, resumable.Connection.EndedEpochs);
        Assert.True(room.Find(id)!.IsAway);
        Assert.Null(room.Find(3));
    }

    /// <summary>On the next commit, another node's join takes a seat first; the commit is refused as out of date.</summary>
    private void TakeASeatFirstOnce(Room room)
    {
        _backplane.BeforeCommit = (r, _, version) =>
        {
            _backplane.BeforeCommit = null;
            var other = r.DecideJoin(Rooms.Attempt("elsewhere", node: "node-b"));
            var landed = _ctx.InMemory.CommitAsync(r, other.Event!, other.Version, None);
            Assert.Equal(CommitStatus.Committed, landed.Result.Status);
            Assert.NotEqual(version, r.Version);
            return CommitResult.Conflict;
        };
    }
}
