using NSubstitute;
using Relay.Domain.Rooms;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Domain;

public sealed class RoomTests
{
    private static readonly DateTimeOffset T0 = ManualTimeProvider.Epoch;

    [Fact]
    public void Join_assigns_ids_1_2_3_in_join_order()
    {
        var room = Rooms.Create();
        var a = new TestClient();
        var b = new TestClient();
        var c = new TestClient();

        var ra = room.Join(a.Session, "a", false, T0);
        var rb = room.Join(b.Session, "b", false, T0);
        var rc = room.Join(c.Session, null, false, T0);

        Assert.Equal((JoinStatus.Joined, 1), (ra.Status, ra.ClientId));
        Assert.Equal((JoinStatus.Joined, 2), (rb.Status, rb.ClientId));
        Assert.Equal((JoinStatus.Joined, 3), (rc.Status, rc.ClientId));
        Assert.Equal([1, 2, 3], room.Members.ToArray().Select(m => m.ClientId));
        Assert.Same(room, b.Session.Room);
        Assert.Equal(2, b.Session.ClientId);
        Assert.Equal("b", b.Session.Name);
        Assert.Equal(3, room.ClientCount);
    }

    [Fact]
    public void Ids_are_not_reused_after_members_leave()
    {
        var room = Rooms.Create();
        var a = Rooms.Join(room);
        var b = Rooms.Join(room);
        room.Remove(b.Session, T0);
        room.Remove(a.Session, T0);

        var again = room.Join(b.Session, null, false, T0);
        var fresh = room.Join(new TestClient().Session, null, false, T0);

        Assert.Equal(3, again.ClientId);
        Assert.Equal(4, fresh.ClientId);
    }

    [Fact]
    public void Join_beyond_max_clients_is_full()
    {
        var room = Rooms.Create(maxClients: 2);
        Rooms.Join(room);
        Rooms.Join(room);
        var late = new TestClient();

        var result = room.Join(late.Session, null, false, T0);

        Assert.Equal(JoinStatus.Full, result.Status);
        Assert.False(result.Joined);
        Assert.Null(late.Session.Room);
        Assert.Equal(2, room.ClientCount);
    }

    [Fact]
    public void Locked_room_refuses_joins_until_unlocked()
    {
        var room = Rooms.Create();
        room.Update(null, true, null);
        var client = new TestClient();

        Assert.Equal(JoinStatus.Locked, room.Join(client.Session, null, false, T0).Status);
        Assert.Null(client.Session.Room);

        room.Update(null, false, null);
        Assert.Equal(JoinStatus.Joined, room.Join(client.Session, null, false, T0).Status);
    }

    [Fact]
    public void Closed_room_refuses_joins()
    {
        var room = Rooms.Create();
        room.Close();
        var client = new TestClient();

        Assert.Equal(JoinStatus.Closed, room.Join(client.Session, null, false, T0).Status);
        Assert.Null(client.Session.Room);
        Assert.Equal(0, room.ClientCount);
    }

    [Fact]
    public void A_session_already_in_a_room_cannot_join_again()
    {
        var room = Rooms.Create();
        var other = Rooms.Create(id: "room-2");
        var client = Rooms.Join(room);

        Assert.Equal(JoinStatus.AlreadyInRoom, room.Join(client.Session, null, false, T0).Status);
        Assert.Equal(JoinStatus.AlreadyInRoom, other.Join(client.Session, null, false, T0).Status);
        Assert.Same(room, client.Session.Room);
        Assert.Equal(1, room.ClientCount);
        Assert.Equal(0, other.ClientCount);
    }

    [Fact]
    public void With_first_assignment_the_first_joiner_becomes_host()
    {
        var room = Rooms.Create(hostAssignment: HostAssignment.First);
        var a = new TestClient();
        var b = new TestClient();

        var ra = room.Join(a.Session, null, false, T0);
        var rb = room.Join(b.Session, null, false, T0);

        Assert.True(ra.HostChanged);
        Assert.False(rb.HostChanged);
        Assert.Equal(1, room.HostId);
        Assert.True(a.Session.IsHost);
        Assert.False(b.Session.IsHost);
    }

    [Fact]
    public void With_first_assignment_a_joiner_becomes_host_when_the_room_has_none()
    {
        var room = Rooms.Create(hostAssignment: HostAssignment.First);
        var a = Rooms.Join(room);
        Rooms.Join(room);
        room.Remove(a.Session, T0);
        Assert.Null(room.HostId);

        var c = new TestClient();
        var rc = room.Join(c.Session, null, false, T0);

        Assert.True(rc.HostChanged);
        Assert.Equal(rc.ClientId, room.HostId);
    }

    [Fact]
    public void With_secret_assignment_nobody_becomes_host_without_the_host_secret()
    {
        var room = Rooms.Create(hostAssignment: HostAssignment.Secret);
        var a = new TestClient();
        var b = new TestClient();

        Assert.False(room.Join(a.Session, null, false, T0).HostChanged);
        Assert.Null(room.HostId);

        var rb = room.Join(b.Session, null, true, T0);

        Assert.True(rb.HostChanged);
        Assert.Equal(2, room.HostId);
        Assert.True(b.Session.IsHost);
        Assert.False(a.Session.IsHost);
    }

    [Theory]
    [InlineData(HostAssignment.First)]
    [InlineData(HostAssignment.Secret)]
    public void Host_secret_demotes_the_previous_host(HostAssignment assignment)
    {
        var room = Rooms.Create(hostAssignment: assignment);
        var previous = Rooms.Join(room, hostSecret: true);
        Assert.True(previous.Session.IsHost);

        var next = new TestClient();
        var result = room.Join(next.Session, null, true, T0);

        Assert.True(result.HostChanged);
        Assert.Equal(2, room.HostId);
        Assert.False(previous.Session.IsHost);
        Assert.True(next.Session.IsHost);
    }

    [Fact]
    public void Removing_the_host_clears_the_host_and_reports_it()
    {
        var room = Rooms.Create();
        var host = Rooms.Join(room);
        Rooms.Join(room);

        var result = room.Remove(host.Session, T0);

        Assert.Equal(new RemoveResult(true, 1, true), result);
        Assert.Null(room.HostId);
        Assert.Null(host.Session.Room);
        Assert.Equal(0, host.Session.ClientId);
        Assert.False(host.Session.IsHost);
        host.Transport.Received(1).OnLeftRoom();
    }

    [Fact]
    public void Removing_a_non_host_keeps_the_host()
    {
        var room = Rooms.Create();
        Rooms.Join(room);
        var b = Rooms.Join(room);

        var result = room.Remove(b.Session, T0);

        Assert.Equal(new RemoveResult(true, 2, false), result);
        Assert.Equal(1, room.HostId);
        Assert.Equal([1], room.Members.ToArray().Select(m => m.ClientId));
    }

    [Fact]
    public void Removing_twice_reports_not_removed_the_second_time()
    {
        var room = Rooms.Create();
        var a = Rooms.Join(room);

        Assert.True(room.Remove(a.Session, T0).Removed);
        var second = room.Remove(a.Session, T0);

        Assert.False(second.Removed);
        Assert.False(second.WasHost);
        a.Transport.Received(1).OnLeftRoom();
    }

    [Fact]
    public void PromoteLongestConnected_picks_the_earliest_joiner_still_present()
    {
        var room = Rooms.Create();
        var a = Rooms.Join(room);
        var b = Rooms.Join(room);
        var c = Rooms.Join(room);
        Rooms.Join(room);
        room.Remove(a.Session, T0);
        room.Remove(b.Session, T0);

        var promoted = room.PromoteLongestConnected();

        Assert.Same(c.Session, promoted);
        Assert.Equal(3, room.HostId);
        Assert.True(c.Session.IsHost);
    }

    [Fact]
    public void PromoteLongestConnected_in_an_empty_room_returns_null()
    {
        var room = Rooms.Create();
        var a = Rooms.Join(room);
        room.Remove(a.Session, T0);

        Assert.Null(room.PromoteLongestConnected());
        Assert.Null(room.HostId);
    }

    [Fact]
    public void TransferHost_to_a_member_makes_it_host()
    {
        var room = Rooms.Create();
        var a = Rooms.Join(room);
        var b = Rooms.Join(room);

        Assert.True(room.TransferHost(2));
        Assert.Equal(2, room.HostId);
        Assert.True(b.Session.IsHost);
        Assert.False(a.Session.IsHost);
    }

    [Fact]
    public void TransferHost_to_a_non_member_fails_and_keeps_the_host()
    {
        var room = Rooms.Create();
        Rooms.Join(room);
        var b = Rooms.Join(room);
        room.Remove(b.Session, T0);

        Assert.False(room.TransferHost(2));
        Assert.False(room.TransferHost(99));
        Assert.False(room.TransferHost(0));
        Assert.Equal(1, room.HostId);
    }

    [Fact]
    public void Lowering_max_clients_keeps_members_but_refuses_new_ones()
    {
        var room = Rooms.Create(maxClients: 4);
        var a = Rooms.Join(room);
        var b = Rooms.Join(room);
        Rooms.Join(room);

        room.Update(2, null, null);

        Assert.Equal(2, room.MaxClients);
        Assert.Equal(3, room.ClientCount);
        Assert.Equal(JoinStatus.Full, room.Join(new TestClient().Session, null, false, T0).Status);

        room.Remove(a.Session, T0);
        Assert.Equal(JoinStatus.Full, room.Join(new TestClient().Session, null, false, T0).Status);
        room.Remove(b.Session, T0);
        Assert.Equal(JoinStatus.Joined, room.Join(new TestClient().Session, null, false, T0).Status);
    }

    [Fact]
    public void Update_replaces_metadata_and_rejects_max_clients_below_one()
    {
        var room = Rooms.Create();
        var metadata = RoomMetadata.FromJson("""{"map":"x"}""");

        room.Update(null, null, metadata);

        Assert.Same(metadata, room.Metadata);
        Assert.Throws<ArgumentOutOfRangeException>(() => room.Update(0, null, null));
        Assert.Equal(16, room.MaxClients);
    }

    [Fact]
    public void Close_returns_the_members_detached_and_a_second_close_returns_none()
    {
        var room = Rooms.Create();
        var a = Rooms.Join(room);
        var b = Rooms.Join(room);

        var members = room.Close();

        Assert.Equal([a.Session, b.Session], members);
        Assert.True(room.IsClosed);
        Assert.Null(a.Session.Room);
        Assert.Null(b.Session.Room);
        Assert.Equal(0, a.Session.ClientId);
        Assert.Equal(0, room.ClientCount);
        Assert.Null(room.HostId);
        a.Transport.Received(1).OnLeftRoom();
        b.Transport.Received(1).OnLeftRoom();

        Assert.Empty(room.Close());
    }

    [Fact]
    public void Closed_room_refuses_host_changes()
    {
        var room = Rooms.Create();
        Rooms.Join(room);
        Rooms.Join(room);
        room.Close();

        Assert.False(room.TransferHost(2));
        Assert.Null(room.PromoteLongestConnected());
    }

    [Fact]
    public void EmptySince_is_set_when_the_last_member_leaves_and_cleared_on_join()
    {
        var room = Rooms.Create(createdAt: T0);
        Assert.Equal(T0, room.EmptySince);

        var a = Rooms.Join(room, now: T0.AddMinutes(1));
        Assert.Null(room.EmptySince);
        var b = Rooms.Join(room, now: T0.AddMinutes(2));

        room.Remove(a.Session, T0.AddMinutes(3));
        Assert.Null(room.EmptySince);

        room.Remove(b.Session, T0.AddMinutes(4));
        Assert.Equal(T0.AddMinutes(4), room.EmptySince);

        Rooms.Join(room, now: T0.AddMinutes(5));
        Assert.Null(room.EmptySince);
    }

    [Fact]
    public void TryExpire_closes_only_after_the_ttl()
    {
        var ttl = TimeSpan.FromMinutes(5);
        var room = Rooms.Create(createdAt: T0);

        Assert.False(room.TryExpire(T0 + ttl - TimeSpan.FromTicks(1), ttl));
        Assert.False(room.IsClosed);

        Assert.True(room.TryExpire(T0 + ttl, ttl));
        Assert.True(room.IsClosed);
        Assert.False(room.TryExpire(T0 + ttl + ttl, ttl));
        Assert.Equal(JoinStatus.Closed, room.Join(new TestClient().Session, null, false, T0 + ttl).Status);
    }

    [Fact]
    public void TryExpire_never_closes_a_room_with_members()
    {
        var ttl = TimeSpan.FromMinutes(5);
        var room = Rooms.Create(createdAt: T0);
        Rooms.Join(room, now: T0);

        Assert.False(room.TryExpire(T0.AddDays(1), ttl));
        Assert.False(room.IsClosed);
    }

    [Fact]
    public void TryExpire_counts_from_when_the_room_became_empty()
    {
        var ttl = TimeSpan.FromMinutes(5);
        var room = Rooms.Create(createdAt: T0);
        var a = Rooms.Join(room, now: T0);
        room.Remove(a.Session, T0.AddHours(1));

        Assert.False(room.TryExpire(T0.AddHours(1) + ttl - TimeSpan.FromSeconds(1), ttl));
        Assert.True(room.TryExpire(T0.AddHours(1) + ttl, ttl));
    }

    [Fact]
    public void MatchSecret_tells_member_host_and_none_apart()
    {
        var room = Rooms.Create();

        Assert.Equal(SecretMatch.Member, room.MatchSecret(SecretHash.Digest(Rooms.Secret)));
        Assert.Equal(SecretMatch.Host, room.MatchSecret(SecretHash.Digest(Rooms.HostSecret)));
        Assert.Equal(SecretMatch.None, room.MatchSecret(SecretHash.Digest("wrong")));
        Assert.Equal(SecretMatch.None, room.MatchSecret(SecretHash.Digest(Rooms.Secret + " ")));
        Assert.Equal(SecretMatch.None, room.MatchSecret(SecretHash.Digest(string.Empty)));
    }

    [Fact]
    public void Constructor_rejects_zero_max_clients()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Rooms.Create(maxClients: 0));
    }

    [Fact]
    public async Task Concurrent_joins_fill_exactly_the_free_seats_with_distinct_ids()
    {
        const int Seats = 8;
        const int Threads = 32;
        for (var iteration = 0; iteration < 20; iteration++)
        {
            var room = Rooms.Create(maxClients: Seats);
            var clients = Enumerable.Range(0, Threads).Select(_ => new TestClient()).ToArray();

            var results = await Concurrently.RunSyncAsync(Threads, i =>
            {
                lock (room.Gate)
                {
                    return room.Join(clients[i].Session, null, false, T0);
                }
            });

            var joined = results.Where(r => r.Joined).ToArray();
            Assert.Equal(Seats, joined.Length);
            Assert.All(results.Where(r => !r.Joined), r => Assert.Equal(JoinStatus.Full, r.Status));
            Assert.Equal(Enumerable.Range(1, Seats), joined.Select(r => r.ClientId).Order());
            Assert.Equal(Seats, room.ClientCount);
            Assert.Single(joined, r => r.HostChanged);
            Assert.Equal(Seats, clients.Count(c => c.Session.Room == room));
        }
    }

    [Fact]
    public async Task Concurrent_joins_without_the_gate_still_respect_the_seats()
    {
        // Room.Join takes the gate itself: callers that do not hold it get the same guarantees.
        const int Seats = 5;
        const int Threads = 24;
        for (var iteration = 0; iteration < 20; iteration++)
        {
            var room = Rooms.Create(maxClients: Seats);
            var clients = Enumerable.Range(0, Threads).Select(_ => new TestClient()).ToArray();

            var results = await Concurrently.RunSyncAsync(Threads, i => room.Join(clients[i].Session, null, false, T0));

            Assert.Equal(Enumerable.Range(1, Seats), results.Where(r => r.Joined).Select(r => r.ClientId).Order());
            Assert.Equal(Seats, room.ClientCount);
            Assert.Equal(Seats, room.Members.ToArray().Distinct().Count());
        }
    }
}
