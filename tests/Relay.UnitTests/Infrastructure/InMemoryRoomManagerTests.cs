using System.Text.RegularExpressions;
using Relay.Application.Abstractions;
using Relay.Domain.Rooms;
using Relay.Infrastructure.Rooms;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Infrastructure;

public sealed partial class InMemoryRoomManagerTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly InMemoryRoomManager _manager;

    public InMemoryRoomManagerTests() => _manager = new InMemoryRoomManager(new RoomFactory(_time));

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex UrlSafe();

    private static RoomSpec Spec(string? id = null, string? secret = null) =>
        new(id, secret, Rooms.Mesh, HostAssignment.First, 16, RoomMetadata.Empty);

    private async Task<CreatedRoom> CreateAsync(string? id = null, string? secret = null)
    {
        var outcome = await _manager.CreateAsync(Spec(id, secret), CancellationToken.None);
        Assert.Equal(CreateRoomStatus.Created, outcome.Status);
        return outcome.Created!;
    }

    [Fact]
    public async Task Concurrent_creates_never_pass_MaxRooms_and_a_removed_room_frees_its_seat()
    {
        var limited = new RoomSpec(null, null, Rooms.Mesh, HostAssignment.First, 16, RoomMetadata.Empty, MaxRooms: 5);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ =>
            Task.Run(async () => await _manager.CreateAsync(limited, CancellationToken.None))))
            .WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(5, outcomes.Count(o => o.Status == CreateRoomStatus.Created));
        Assert.Equal(59, outcomes.Count(o => o.Status == CreateRoomStatus.LimitReached));
        Assert.Equal(5, _manager.Snapshot().Count);

        Assert.True(_manager.Remove(outcomes.First(o => o.Created is not null).Created!.Room));
        Assert.Equal(CreateRoomStatus.Created, (await _manager.CreateAsync(limited, CancellationToken.None)).Status);
        Assert.Equal(CreateRoomStatus.LimitReached, (await _manager.CreateAsync(limited, CancellationToken.None)).Status);
    }

    [Fact]
    public async Task A_taken_id_does_not_keep_a_seat()
    {
        var limited = new RoomSpec("only", null, Rooms.Mesh, HostAssignment.First, 16, RoomMetadata.Empty, MaxRooms: 2);
        Assert.Equal(CreateRoomStatus.Created, (await _manager.CreateAsync(limited, CancellationToken.None)).Status);
        Assert.Equal(CreateRoomStatus.IdTaken, (await _manager.CreateAsync(limited, CancellationToken.None)).Status);
        Assert.Equal(CreateRoomStatus.Created, (await _manager.CreateAsync(limited with { Id = "second" }, CancellationToken.None)).Status);
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

        Assert.Equal(1000, _manager.Snapshot().Count);
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

        var outcome = await _manager.CreateAsync(Spec("taken"), CancellationToken.None);

        Assert.Equal(CreateRoomStatus.IdTaken, outcome.Status);
        Assert.Null(outcome.Created);
        Assert.Same(first.Room, await _manager.FindAsync("taken", CancellationToken.None));
        Assert.Single(_manager.Snapshot());
    }

    [Fact]
    public async Task Ids_are_case_sensitive()
    {
        await CreateAsync("Room");

        Assert.Null(await _manager.FindAsync("room", CancellationToken.None));
        Assert.Equal(CreateRoomStatus.Created, (await _manager.CreateAsync(Spec("room"), CancellationToken.None)).Status);
    }

    [Fact]
    public async Task Find_returns_the_registered_instance_or_null()
    {
        var created = await CreateAsync();

        Assert.Same(created.Room, await _manager.FindAsync(created.Room.Id, CancellationToken.None));
        Assert.Null(await _manager.FindAsync("missing", CancellationToken.None));
    }

    [Fact]
    public async Task List_pages_in_creation_order_with_the_total()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await CreateAsync()).Room.Id);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var first = await _manager.ListAsync(0, 2, CancellationToken.None);
        var second = await _manager.ListAsync(2, 2, CancellationToken.None);
        var last = await _manager.ListAsync(4, 10, CancellationToken.None);
        var beyond = await _manager.ListAsync(10, 10, CancellationToken.None);

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

        var page = await _manager.ListAsync(0, 10, CancellationToken.None);

        Assert.Equal(ids, page.Items.Select(r => r.Id));
    }

    [Fact]
    public async Task Remove_removes_only_that_instance()
    {
        var old = (await CreateAsync("reused")).Room;

        Assert.True(_manager.Remove(old));
        Assert.Null(await _manager.FindAsync("reused", CancellationToken.None));
        Assert.False(_manager.Remove(old));

        var replacement = (await CreateAsync("reused")).Room;

        Assert.False(_manager.Remove(old));
        Assert.Same(replacement, await _manager.FindAsync("reused", CancellationToken.None));
    }

    [Fact]
    public async Task Remove_leaves_the_other_rooms()
    {
        var a = (await CreateAsync()).Room;
        var b = (await CreateAsync()).Room;

        _manager.Remove(a);

        Assert.Equal([b], _manager.Snapshot());
        Assert.Equal(1, (await _manager.ListAsync(0, 10, CancellationToken.None)).Total);
    }

    [Fact]
    public async Task Concurrent_creates_of_one_id_let_exactly_one_win()
    {
        for (var i = 0; i < 50; i++)
        {
            var id = "race-" + i;
            var outcomes = await Concurrently.RunAsync(8, _ => _manager.CreateAsync(Spec(id), CancellationToken.None));

            var winner = Assert.Single(outcomes, o => o.Status == CreateRoomStatus.Created);
            Assert.Same(winner.Created!.Room, await _manager.FindAsync(id, CancellationToken.None));
        }
    }
}
