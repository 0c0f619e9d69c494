using System.Text.RegularExpressions;
using Relay.Application.Abstractions;
using Relay.Application.Common.Options;
using Relay.Application.Rooms;
using Relay.Application.Rooms.Membership;
using Relay.Domain.Frames;
using Relay.Domain.Rooms;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Infrastructure;

/// <summary>
/// The single-node backplane under the room manager: the registry (creation order, the room limit, ids), commits
/// checked against the version their decision saw, and sequenced relays.
/// </summary>
public sealed partial class InMemoryBackplaneTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly RealtimeContext _ctx = new();

    private RoomManager Manager => _ctx.Manager;

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex UrlSafe();

    private static RoomSpec Spec(string? id = null, string? secret = null) =>
        new(id, secret, Rooms.Mesh, HostAssignment.First, 16, RoomMetadata.Empty);

    private async Task<CreatedRoom> CreateAsync(string? id = null, string? secret = null, RoomManager? manager = null)
    {
        var (status, created) = await (manager ?? Manager).CreateAsync(Spec(id, secret), None);
        Assert.Equal(CreateRoomStatus.Created, status);
        return created!;
    }

    [Fact]
    public async Task Concurrent_creates_never_pass_MaxRooms_and_a_closed_room_frees_its_seat()
    {
        var ctx = new RealtimeContext(new RelayOptions { MaxRooms = 5 });
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ =>
            Task.Run(async () => await ctx.Manager.CreateAsync(Spec(), None))))
            .WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(5, outcomes.Count(o => o.Status == CreateRoomStatus.Created));
        Assert.Equal(59, outcomes.Count(o => o.Status == CreateRoomStatus.LimitReached));
        Assert.All(outcomes.Where(o => o.Status == CreateRoomStatus.LimitReached), o => Assert.Null(o.Created));
        Assert.Equal(5, ctx.Manager.Snapshot().Count);

        Assert.Equal(MemberChange.Done, await ctx.Manager.DeleteAsync(outcomes.First(o => o.Created is not null).Created!.Room.Id, None));
        Assert.Equal(CreateRoomStatus.Created, (await ctx.Manager.CreateAsync(Spec(), None)).Status);
        Assert.Equal(CreateRoomStatus.LimitReached, (await ctx.Manager.CreateAsync(Spec(), None)).Status);
    }

    [Fact]
    public async Task A_taken_id_does_not_keep_a_seat()
    {
        var ctx = new RealtimeContext(new RelayOptions { MaxRooms = 2 });
        Assert.Equal(CreateRoomStatus.Created, (await ctx.Manager.CreateAsync(Spec("only"), None)).Status);
        Assert.Equal(CreateRoomStatus.IdTaken, (await ctx.Manager.CreateAsync(Spec("only"), None)).Status);
        Assert.Equal(CreateRoomStatus.Created, (await ctx.Manager.CreateAsync(Spec("second"), None)).Status);
    }

    [Fact]
    public async Task Generated_ids_are_url_safe_long_and_unique()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 1000; i++)
        {
            var id = (await CreateAsync()).Room.Id;
            Assert.Matches(UrlSafe(), id);
            Assert.True(id.Length >= 16, $"id '{id}' is shorter than 16 characters");
            Assert.True(ids.Add(id), $"id '{id}' was generated twice");
        }

        Assert.Equal(1000, Manager.Snapshot().Count);
    }

    [Fact]
    public async Task A_supplied_id_and_secret_are_honoured()
    {
        var created = await CreateAsync("my-room_1", "supplied-secret");

        Assert.Equal("my-room_1", created.Room.Id);
        Assert.Equal("supplied-secret", created.Secret);
        Assert.Equal(SecretMatch.Member, created.Room.MatchSecret(SecretHash.Digest("supplied-secret")));
        Assert.Equal(SecretMatch.Host, created.Room.MatchSecret(SecretHash.Digest(created.HostSecret)));
        Assert.NotEqual(created.Secret, created.HostSecret);
    }

    [Fact]
    public async Task A_taken_id_is_refused_and_the_first_room_stays()
    {
        var first = await CreateAsync("taken");

        var (status, created) = await Manager.CreateAsync(Spec("taken"), None);

        Assert.Equal(CreateRoomStatus.IdTaken, status);
        Assert.Null(created);
        Assert.Same(first.Room, await Manager.FindAsync("taken", None));
        Assert.Single(Manager.Snapshot());
    }

    [Fact]
    public async Task Ids_are_case_sensitive()
    {
        await CreateAsync("Room");

        Assert.Null(await Manager.FindAsync("room", None));
        Assert.Equal(CreateRoomStatus.Created, (await Manager.CreateAsync(Spec("room"), None)).Status);
    }

    [Fact]
    public async Task Find_returns_the_registered_instance_or_null()
    {
        var created = await CreateAsync();

        Assert.Same(created.Room, await Manager.FindAsync(created.Room.Id, None));
        Assert.Same(created.Room, await _ctx.Backplane.AcquireAsync(created.Room.Id, None));
        Assert.Null(await Manager.FindAsync("missing", None));
        Assert.Null(await _ctx.Backplane.AcquireAsync("missing", None));
    }

    [Fact]
    public async Task List_pages_in_creation_order_with_the_total()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await CreateAsync()).Room.Id);
            _ctx.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var first = await Manager.ListAsync(0, 2, None);
        var second = await Manager.ListAsync(2, 2, None);
        var last = await Manager.ListAsync(4, 10, None);
        var beyond = await Manager.ListAsync(10, 10, None);

        Assert.Equal(ids[..2], first.Items.Select(r => r.Id));
        Assert.Equal(ids[2..4], second.Items.Select(r => r.Id));
        Assert.Equal(ids[4..], last.Items.Select(r => r.Id));
        Assert.Empty(beyond.Items);
        Assert.All([first, second, last, beyond], page => Assert.Equal(5, page.Total));
    }

    [Fact]
    public async Task List_keeps_creation_order_for_rooms_created_at_the_same_instant()
    {
        // The clock does not move: creation order must not depend on the clock's resolution.
        string[] ids = ["zulu", "alpha", "mike", "bravo"];
        foreach (var id in ids)
        {
            await CreateAsync(id);
        }

        var page = await Manager.ListAsync(0, 10, None);

        Assert.Equal(ids, page.Items.Select(r => r.Id));
    }

    [Fact]
    public async Task Unregister_removes_only_that_instance()
    {
        var old = (await CreateAsync("reused")).Room;

        Assert.True(_ctx.InMemory.Unregister(old));
        Assert.Null(await Manager.FindAsync("reused", None));
        Assert.False(_ctx.InMemory.Unregister(old));

        var replacement = (await CreateAsync("reused")).Room;

        Assert.False(_ctx.InMemory.Unregister(old));
        Assert.Same(replacement, await Manager.FindAsync("reused", None));
    }

    [Fact]
    public async Task A_closed_room_leaves_the_other_rooms()
    {
        var a = (await CreateAsync()).Room;
        var b = (await CreateAsync()).Room;

        Assert.Equal(MemberChange.Done, await Manager.DeleteAsync(a.Id, None));

        Assert.Equal([b], Manager.Snapshot());
        Assert.Equal(1, (await Manager.ListAsync(0, 10, None)).Total);
        Assert.Equal(1, (await Manager.GetTotalsAsync(None)).Rooms);
        Assert.Equal(MemberChange.RoomNotFound, await Manager.DeleteAsync(a.Id, None));
    }

    [Fact]
    public async Task Concurrent_creates_of_one_id_let_exactly_one_win()
    {
        for (var i = 0; i < 50; i++)
        {
            var id = "race-" + i;
            var outcomes = await Concurrently.RunAsync(8, _ => Manager.CreateAsync(Spec(id), None));

            var winner = Assert.Single(outcomes, o => o.Status == CreateRoomStatus.Created);
            Assert.Same(winner.Created!.Room, await Manager.FindAsync(id, None));
        }
    }

    [Fact]
    public async Task Totals_count_rooms_by_protocol_and_clients()
    {
        var mesh = (await CreateAsync(secret: Rooms.Secret)).Room;
        await Manager.CreateAsync(new RoomSpec(null, null, Rooms.Host, HostAssignment.First, 4, RoomMetadata.Empty), None);
        _ctx.Seat(mesh, 3);

        var totals = await Manager.GetTotalsAsync(None);

        Assert.Equal(2, totals.Rooms);
        Assert.Equal(3, totals.Clients);
        Assert.Equal(1, totals.RoomsByProtocol["mesh"]);
        Assert.Equal(1, totals.RoomsByProtocol["host"]);
    }

    [Fact]
    public async Task A_commit_of_a_decision_based_on_an_older_version_is_a_conflict_and_changes_nothing()
    {
        var room = (await CreateAsync()).Room;
        var stale = room.DecideJoin(Rooms.Attempt("late", node: "node-b"));
        var first = room.DecideJoin(Rooms.Attempt("first", node: "node-b"));
        Assert.Equal(CommitStatus.Committed, (await _ctx.Backplane.CommitAsync(room, first.Event!, first.Version, None)).Status);

        var result = await _ctx.Backplane.CommitAsync(room, stale.Event!, stale.Version, None);

        Assert.Equal(CommitResult.Conflict, result);
        Assert.Equal(1, room.ClientCount);
    }

    [Fact]
    public async Task A_commit_numbers_the_event_after_the_room_s_last_seq()
    {
        var room = (await CreateAsync()).Room;
        var join = room.DecideJoin(Rooms.Attempt("a", node: "node-b"));

        var result = await _ctx.Backplane.CommitAsync(room, join.Event!, join.Version, None);

        Assert.Equal(CommitResult.Committed(1), result);
        Assert.Equal(join.Event!.Width, room.Seq);
    }

    [Fact]
    public async Task A_commit_to_a_closed_room_is_room_gone()
    {
        var room = (await CreateAsync()).Room;
        var join = room.DecideJoin(Rooms.Attempt());
        Assert.Equal(MemberChange.Done, await Manager.DeleteAsync(room.Id, None));

        Assert.Equal(CommitResult.RoomGone, await _ctx.Backplane.CommitAsync(room, join.Event!, join.Version, None));
    }

    [Fact]
    public async Task Sequenced_relays_are_numbered_in_order_and_kept_in_the_room_s_history()
    {
        var room = _ctx.CreateRoom(resumeWindowSeconds: 30).Room;
        var c = _ctx.Seat(room, 2, resume: true);
        var before = room.Seq;
        var kept = room.History!.Count;

        Assert.True(_ctx.Backplane.Sequence(room, new RelayMessage(FrameKind.Text, 1, "1"u8.ToArray(), Audience.AllBut(1)), null));
        Assert.True(_ctx.Backplane.Sequence(room, new RelayMessage(FrameKind.Text, 1, "2"u8.ToArray(), Audience.AllBut(1)), null));

        Assert.Equal(before + 2, room.Seq);
        Assert.Equal([before + 1, before + 2], c[1].Frames.Select(f => f.Json.GetProperty("seq").GetInt64()));
        Assert.Equal(kept + 2, room.History.Count);
        Assert.Empty(c[0].Frames);
    }

    [Fact]
    public void A_sequenced_relay_from_a_client_that_left_is_dropped()
    {
        var room = _ctx.CreateRoom(resumeWindowSeconds: 30).Room;
        var c = _ctx.Seat(room, 2);
        var seq = room.Seq;
        _ctx.Leave(c[0]);
        c[1].Clear();

        Assert.True(_ctx.Backplane.Sequence(room, new RelayMessage(FrameKind.Text, 1, "1"u8.ToArray(), Audience.AllBut(1)), null));

        Assert.Empty(c[1].Frames);
        Assert.Equal(seq + 2, room.Seq);
    }

    [Fact]
    public void Only_a_sequenced_room_keeps_a_history()
    {
        Assert.Null(_ctx.CreateRoom().Room.History);
        Assert.NotNull(_ctx.CreateRoom(resumeWindowSeconds: 1).Room.History);
    }
}
