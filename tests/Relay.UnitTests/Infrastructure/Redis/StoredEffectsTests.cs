using Relay.Domain.Connections;
using Relay.Domain.Rooms;
using Relay.Infrastructure.Backplanes.Redis;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Infrastructure.Redis;

/// <summary>
/// What each event does to the stored room, as the commit script's plain writes (operation, key, two arguments): the
/// mirror of the room's <c>Apply*</c> for Redis. Keys are under the prefix <c>p</c>; this node is <c>local</c>.
/// </summary>
public sealed class StoredEffectsTests
{
    private static readonly DateTimeOffset T0 = ManualTimeProvider.Epoch;
    private static readonly RedisKeys Keys = new("p");

    private static string[] Ops(Room room, RoomEvent e)
    {
        var ops = StoredEffects.For(Keys, "local", room, e).Ops;
        Assert.Equal(0, ops.Count % 4);
        return [.. Enumerable.Range(0, ops.Count / 4).Select(i => $"{ops[i * 4]} {ops[(i * 4) + 1]} {ops[(i * 4) + 2]} {ops[(i * 4) + 3]}".TrimEnd())];
    }

    private static Room Room(int resumeWindowSeconds = 30) => Rooms.Create(id: "r", resumeWindowSeconds: resumeWindowSeconds);

    [Fact]
    public void The_first_join_seats_the_member_on_its_node_makes_it_host_and_the_room_not_empty()
    {
        var room = Room();
        var joined = room.DecideJoin(Rooms.Attempt("ann", resumable: true, node: "node-a")).Event!;

        Assert.Equal(
        [
            $"hset p:r:r:m 1 {StoredRoom.EncodeMember(joined, "node-a", joined.ResumeTokenDigest, null, null)}",
            "sadd p:n:node-a r|1",
            "hset p:r:r last 1",
            "hincrby p:totals clients 1",
            "hset p:r:r host 1",
            "hset p:r:r empty",
            "zrem p:empty r",
        ], Ops(room, joined));
    }

    [Fact]
    public void A_later_join_only_seats_the_member()
    {
        var room = Room();
        Rooms.Join(room);
        var joined = room.DecideJoin(Rooms.Attempt("bob", node: "node-b")).Event!;

        Assert.Equal(
        [
            $"hset p:r:r:m 2 {StoredRoom.EncodeMember(joined, "node-b", null, null, null)}",
            "sadd p:n:node-b r|2",
            "hset p:r:r last 2",
            "hincrby p:totals clients 1",
        ], Ops(room, joined));
    }

    [Fact]
    public void A_departure_takes_the_member_out_of_its_node_s_set()
    {
        var room = Room();
        Rooms.Join(room);
        var local = Rooms.Join(room);
        var remote = Rooms.Apply(room, room.DecideJoin(Rooms.Attempt(node: "node-b")).Event!, null, "node-b");

        Assert.Equal(
        [
            "srem p:n:local r|2",
            "hdel p:r:r:m 2",
            "hincrby p:totals clients -1",
        ], Ops(room, room.DecideLeave(local.ClientId, "left").Event!));
        Assert.Equal(
        [
            "srem p:n:node-b r|3",
            "hdel p:r:r:m 3",
            "hincrby p:totals clients -1",
        ], Ops(room, room.DecideLeave(remote.ClientId, "disconnected").Event!));
    }

    [Fact]
    public void A_host_departure_writes_the_next_host_and_the_last_departure_makes_the_room_empty()
    {
        var room = Room();
        var host = Rooms.Join(room);
        var next = Rooms.Join(room);

        Assert.Equal(
        [
            "srem p:n:local r|1",
            "hdel p:r:r:m 1",
            "hincrby p:totals clients -1",
            "hset p:r:r host 2",
        ], Ops(room, room.DecideLeave(host.ClientId, "left").Event!));

        Rooms.Leave(room, host);
        Assert.Equal(
        [
            "srem p:n:local r|2",
            "hdel p:r:r:m 2",
            "hincrby p:totals clients -1",
            "hset p:r:r host 0",
            $"hset p:r:r empty {StoredEffects.Now}",
            $"zadd p:empty {StoredEffects.Now} r",
        ], Ops(room, room.DecideLeave(next.ClientId, "left").Event!));
    }

    [Fact]
    public void Going_away_moves_the_member_from_its_node_to_the_away_set_until_its_window_ends()
    {
        var room = Room();
        Rooms.Join(room);
        var member = Rooms.Join(room, "ann", resumable: true);
        var away = room.DecideAway(member.ClientId, T0).Event!;
        var record = new MemberJoined(2, "ann", null, "local", member.JoinedAt, false, true, member.ResumeTokenDigest, string.Empty);

        Assert.Equal(
        [
            "srem p:n:local r|2",
            $"hset p:r:r:m 2 {StoredRoom.EncodeMember(record, string.Empty, member.ResumeTokenDigest, member.JoinSeq, away.Until)}",
            $"zadd p:away {away.Until.ToUnixTimeMilliseconds()} r|2",
        ], Ops(room, away));
    }

    [Fact]
    public void Coming_back_moves_the_member_from_the_away_set_to_its_new_node_with_its_new_token()
    {
        var room = Room();
        Rooms.Join(room);
        var member = Rooms.Join(room, "ann", resumable: true);
        room.ApplyAway(room.DecideAway(member.ClientId, T0).Event!, room.Seq + 1);
        byte[] digest = [1, 2, 3];
        var back = new MemberBack(2, "node-c", digest, WasAway: true, "node-c:1");
        var record = new MemberJoined(2, "ann", null, "local", member.JoinedAt, false, true, member.ResumeTokenDigest, string.Empty);

        Assert.Equal(
        [
            "zrem p:away r|2",
            $"hset p:r:r:m 2 {StoredRoom.EncodeMember(record, "node-c", digest, member.JoinSeq, null)}",
            "sadd p:n:node-c r|2",
        ], Ops(room, back));
    }

    [Fact]
    public void Events_about_a_member_no_longer_seated_write_nothing_about_it()
    {
        var room = Room();
        Rooms.Join(room);

        Assert.Empty(Ops(room, new MemberAway(9, T0)));
        Assert.Empty(Ops(room, new MemberBack(9, "n", [1], true, "t")));
    }

    [Fact]
    public void A_host_transfer_and_an_update_set_the_room_s_fields()
    {
        var room = Room();
        Rooms.Join(room);

        Assert.Equal(["hset p:r:r host 2"], Ops(room, new HostTransferred(2)));
        Assert.Equal(
        [
            "hset p:r:r max 9",
            "hset p:r:r locked 1",
            """hset p:r:r meta {"v": 1}""",
            "hset p:r:r rw 60",
        ], Ops(room, new RoomUpdated(9, true, RoomMetadata.FromJson("""{"v": 1}"""), 60)));
    }

    [Fact]
    public void A_close_forgets_every_member_and_deletes_the_room_s_keys()
    {
        var room = Room();
        Rooms.Join(room);
        var away = Rooms.Join(room, resumable: true);
        Rooms.Apply(room, room.DecideJoin(Rooms.Attempt(node: "node-b")).Event!, null, "node-b");
        room.ApplyAway(room.DecideAway(away.ClientId, T0).Event!, room.Seq + 1);

        string[] closing =
        [
            "srem p:n:local r|1",
            "zrem p:away r|2",
            "srem p:n:node-b r|3",
            "hincrby p:totals clients -3",
            "hincrby p:totals proto:mesh -1",
            "zrem p:rooms r",
            "zrem p:empty r",
            "del p:r:r:m",
            "del p:r:r:h",
            "del p:r:r",
        ];
        Assert.Equal(closing, Ops(room, new RoomClosed("deleted", CloseCodes.RoomClosed, null)));

        // A host departure that closes the room (a `host` room) writes the same as the close.
        var hostRoom = Rooms.Create(Rooms.Host, id: "r");
        var host = Rooms.Join(hostRoom);
        Assert.Equal(
        [
            "srem p:n:local r|1",
            "hincrby p:totals clients -1",
            "hincrby p:totals proto:host -1",
            "zrem p:rooms r",
            "zrem p:empty r",
            "del p:r:r:m",
            "del p:r:r:h",
            "del p:r:r",
        ], Ops(hostRoom, hostRoom.DecideLeave(host.ClientId, "left").Event!));
    }

    [Fact]
    public void Closing_an_empty_room_touches_no_client_count()
    {
        var room = Room();

        Assert.DoesNotContain(Ops(room, new RoomClosed("expired", CloseCodes.RoomClosed, null)), op => op.Contains("clients", StringComparison.Ordinal));
    }
}
