using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Relay.Application.Common.Options;
using Relay.Domain.Rooms;
using Relay.Infrastructure.Backplanes.InMemory;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Infrastructure;

/// <summary>A single node's upkeep: rooms empty for the TTL close (`expired`), away windows end (`timeout`).</summary>
public sealed class RoomJanitorTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    private readonly RealtimeContext _ctx = new(new RelayOptions { EmptyRoomTtlSeconds = (int)Ttl.TotalSeconds });
    private readonly RoomJanitor _janitor;

    public RoomJanitorTests() =>
        _janitor = new RoomJanitor(_ctx.Backplane, _ctx.Membership, Options.Create(_ctx.OptionsValue), _ctx.Time, NullLogger<RoomJanitor>.Instance);

    private Room Create(string id, int resumeWindowSeconds = 0) => _ctx.CreateRoom(id: id, resumeWindowSeconds: resumeWindowSeconds).Room;

    private string[] RemainingIds() => [.. _ctx.Backplane.Held.Select(r => r.Id).Order(StringComparer.Ordinal)];

    private Task<int> SweepAsync() => _janitor.SweepAsync(CancellationToken.None);

    [Fact]
    public async Task Sweep_removes_rooms_empty_for_at_least_the_ttl_and_keeps_the_others()
    {
        var neverUsed = Create("never-used");
        var occupied = Create("occupied");
        _ctx.Joined(occupied);
        var emptiedLater = Create("emptied-later");
        var leaver = _ctx.Joined(emptiedLater);
        _ctx.Time.Advance(TimeSpan.FromMinutes(1));
        _ctx.Leave(leaver);

        _ctx.Time.Advance(Ttl - TimeSpan.FromMinutes(1));
        var swept = await SweepAsync();

        Assert.Equal(1, swept);
        Assert.Equal(["emptied-later", "occupied"], RemainingIds());
        Assert.True(neverUsed.IsClosed);
        Assert.False(occupied.IsClosed);
        Assert.False(emptiedLater.IsClosed);

        _ctx.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await SweepAsync());
        Assert.Equal(["occupied"], RemainingIds());
        Assert.True(emptiedLater.IsClosed);
    }

    [Fact]
    public async Task A_room_just_under_the_ttl_is_kept()
    {
        var room = Create("young");
        _ctx.Time.Advance(Ttl - TimeSpan.FromTicks(1));

        Assert.Equal(0, await SweepAsync());
        Assert.False(room.IsClosed);
        Assert.Equal(["young"], RemainingIds());
    }

    [Fact]
    public async Task A_room_with_clients_is_never_swept()
    {
        var room = Create("busy");
        _ctx.Joined(room);
        _ctx.Time.Advance(TimeSpan.FromDays(3));

        Assert.Equal(0, await SweepAsync());
        Assert.False(room.IsClosed);
    }

    [Fact]
    public async Task A_room_rejoined_before_the_ttl_is_kept()
    {
        var room = Create("rejoined");
        _ctx.Time.Advance(TimeSpan.FromMinutes(4));
        var client = _ctx.Joined(room);
        _ctx.Time.Advance(TimeSpan.FromMinutes(2));
        _ctx.Leave(client);
        _ctx.Time.Advance(TimeSpan.FromMinutes(4));

        Assert.Equal(0, await SweepAsync());
        Assert.False(room.IsClosed);
    }

    [Fact]
    public async Task An_expired_room_refuses_joins()
    {
        var room = Create("expired");
        _ctx.Time.Advance(Ttl);
        await SweepAsync();

        Assert.Equal(Refusal.RoomClosed, room.DecideJoin(Rooms.Attempt(now: _ctx.Time.GetUtcNow())).Refusal);
        Assert.Equal(Relay.Application.Rooms.Membership.JoinOutcome.RoomNotFound, _ctx.Join(_ctx.NewClient(), room));
    }

    [Fact]
    public async Task A_ttl_of_zero_keeps_empty_rooms()
    {
        var ctx = new RealtimeContext(new RelayOptions { EmptyRoomTtlSeconds = 0 });
        var janitor = new RoomJanitor(ctx.Backplane, ctx.Membership, Options.Create(ctx.OptionsValue), ctx.Time, NullLogger<RoomJanitor>.Instance);
        var room = ctx.CreateRoom().Room;
        ctx.Time.Advance(TimeSpan.FromDays(30));

        Assert.Equal(0, await janitor.SweepAsync(CancellationToken.None));
        Assert.False(room.IsClosed);
    }

    [Fact]
    public async Task Sweep_ends_away_windows_that_are_over()
    {
        var room = Create("resumable", resumeWindowSeconds: 30);
        var stays = _ctx.Joined(room);
        var drops = _ctx.Joined(room, resume: true);
        await _ctx.Membership.DisconnectAsync(drops.Session!, drops.Id, "disconnected", mayResume: true, CancellationToken.None);
        stays.Clear();

        _ctx.Time.Advance(TimeSpan.FromSeconds(29));
        await SweepAsync();
        Assert.Equal(2, room.ClientCount);

        _ctx.Time.Advance(TimeSpan.FromSeconds(1));
        await SweepAsync();

        Assert.Equal(1, room.ClientCount);
        var left = stays.Single("client_left");
        Assert.Equal("timeout", left.GetProperty("reason").GetString());
        Assert.Equal(2, left.GetProperty("clientId").GetInt32());
    }
}
