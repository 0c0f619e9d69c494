using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Relay.Application.Abstractions;
using Relay.Application.Common.Options;
using Relay.Domain.Rooms;
using Relay.Infrastructure.Rooms;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Infrastructure;

public sealed class EmptyRoomJanitorTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    private readonly ManualTimeProvider _time = new();
    private readonly InMemoryRoomManager _manager;
    private readonly EmptyRoomJanitor _janitor;

    public EmptyRoomJanitorTests()
    {
        _manager = new InMemoryRoomManager(new RoomFactory(_time));
        _janitor = new EmptyRoomJanitor(_manager, Options.Create(new RelayOptions()), _time, NullLogger<EmptyRoomJanitor>.Instance);
    }

    private async Task<Room> CreateAsync(string id)
    {
        var outcome = await _manager.CreateAsync(
            new RoomSpec(id, null, Rooms.Mesh, HostAssignment.First, 16, RoomMetadata.Empty),
            CancellationToken.None);
        return outcome.Created!.Room;
    }

    private string[] RemainingIds() => [.. _manager.Snapshot().Select(r => r.Id).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Sweep_removes_rooms_empty_for_at_least_the_ttl_and_keeps_the_others()
    {
        var neverUsed = await CreateAsync("never-used");
        var occupied = await CreateAsync("occupied");
        Rooms.Join(occupied, now: _time.GetUtcNow());
        var emptiedLater = await CreateAsync("emptied-later");
        var leaver = Rooms.Join(emptiedLater, now: _time.GetUtcNow());
        _time.Advance(TimeSpan.FromMinutes(1));
        emptiedLater.Remove(leaver.Session, _time.GetUtcNow());

        _time.Advance(Ttl - TimeSpan.FromMinutes(1));
        var swept = _janitor.Sweep(Ttl);

        Assert.Equal(1, swept);
        Assert.Equal(["emptied-later", "occupied"], RemainingIds());
        Assert.True(neverUsed.IsClosed);
        Assert.False(occupied.IsClosed);
        Assert.False(emptiedLater.IsClosed);

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, _janitor.Sweep(Ttl));
        Assert.Equal(["occupied"], RemainingIds());
        Assert.True(emptiedLater.IsClosed);
    }

    [Fact]
    public async Task A_room_just_under_the_ttl_is_kept()
    {
        var room = await CreateAsync("young");
        _time.Advance(Ttl - TimeSpan.FromTicks(1));

        Assert.Equal(0, _janitor.Sweep(Ttl));
        Assert.False(room.IsClosed);
        Assert.Equal(["young"], RemainingIds());
    }

    [Fact]
    public async Task A_room_with_clients_is_never_swept()
    {
        var room = await CreateAsync("busy");
        Rooms.Join(room, now: _time.GetUtcNow());
        _time.Advance(TimeSpan.FromDays(3));

        Assert.Equal(0, _janitor.Sweep(Ttl));
        Assert.False(room.IsClosed);
    }

    [Fact]
    public async Task A_room_rejoined_before_the_ttl_is_kept()
    {
        var room = await CreateAsync("rejoined");
        _time.Advance(TimeSpan.FromMinutes(4));
        var client = Rooms.Join(room, now: _time.GetUtcNow());
        _time.Advance(TimeSpan.FromMinutes(2));
        room.Remove(client.Session, _time.GetUtcNow());
        _time.Advance(TimeSpan.FromMinutes(4));

        Assert.Equal(0, _janitor.Sweep(Ttl));
        Assert.False(room.IsClosed);
    }

    [Fact]
    public async Task An_expired_room_refuses_joins()
    {
        var room = await CreateAsync("expired");
        _time.Advance(Ttl);
        _janitor.Sweep(Ttl);

        Assert.Equal(JoinStatus.Closed, room.Join(new TestClient().Session, null, false, _time.GetUtcNow()).Status);
    }
}
