using System.Text;
using Relay.Domain.Rooms;
using Relay.Infrastructure.Backplanes.Redis;
using Relay.UnitTests.TestSupport;
using StackExchange.Redis;

namespace Relay.UnitTests.Infrastructure.Redis;

/// <summary>A room as Redis stores it: the room hash and one JSON record per member, read back as a snapshot.</summary>
public sealed class StoredRoomTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);

    [Fact]
    public void A_member_record_round_trips()
    {
        byte[] digest = [1, 2, 3, 250];
        var joined = new MemberJoined(4, "ann \"a\"\né", "user-1", "ignored", At, true, true, digest, "node-a:3");

        var record = StoredRoom.DecodeMember(4, StoredRoom.EncodeMember(joined, "node-a", digest, 17, null));

        Assert.Equal(4, record.Joined.ClientId);
        Assert.Equal("ann \"a\"\né", record.Joined.Name);
        Assert.Equal("user-1", record.Joined.UserId);
        Assert.Equal(At, record.Joined.JoinedAt);
        Assert.True(record.Joined.Resumable);
        Assert.Equal(digest, record.Joined.ResumeTokenDigest);
        Assert.Equal("node-a:3", record.Joined.JoinToken);
        Assert.Equal("node-a", record.Node);
        Assert.Equal(17, record.JoinSeq);
        Assert.False(record.IsAway);
    }

    [Fact]
    public void An_away_member_has_no_node_and_its_window_end()
    {
        var joined = new MemberJoined(2, null, null, "n", At, false, true, null, "t");

        var record = StoredRoom.DecodeMember(2, StoredRoom.EncodeMember(joined, string.Empty, null, 5, At.AddSeconds(30)));

        Assert.Null(record.Node);
        Assert.True(record.IsAway);
        Assert.Equal(At.AddSeconds(30), record.AwayUntil);
        Assert.Null(record.Joined.Name);
        Assert.Null(record.Joined.ResumeTokenDigest);
    }

    [Fact]
    public void A_join_record_leaves_its_seq_for_the_script_to_fill_in()
    {
        var joined = new MemberJoined(1, "a", null, "n", At, false, false, null, "t");

        var json = StoredRoom.EncodeMember(joined, "n", null, null, null);

        Assert.Contains("\"joinSeq\":\"{seq}\"", json, StringComparison.Ordinal);
        Assert.Contains("\"joinSeq\":9", json.Replace("\"{seq}\"", "9", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(9, StoredRoom.DecodeMember(1, json.Replace("\"{seq}\"", "9", StringComparison.Ordinal)).JoinSeq);
    }

    [Fact]
    public void The_room_hash_keeps_only_the_digests_of_the_secrets()
    {
        var room = Rooms.Create(Rooms.Host, HostAssignment.Secret, maxClients: 7, id: "r", metadata: """{"m": 1}""", resumeWindowSeconds: 45);

        var fields = StoredRoom.Fields(room, 1234).ToDictionary(f => f.Name.ToString(), f => f.Value.ToString());

        Assert.Equal(Convert.ToHexString(SecretHash.Digest(Rooms.Secret)), fields["sec"]);
        Assert.Equal(Convert.ToHexString(SecretHash.Digest(Rooms.HostSecret)), fields["hsec"]);
        Assert.DoesNotContain(fields.Values, v => v.Contains(Rooms.Secret, StringComparison.Ordinal) || v.Contains(Rooms.HostSecret, StringComparison.Ordinal));
        Assert.Equal(("host", "secret", "7", "0"), (fields["proto"], fields["ha"], fields["max"], fields["locked"]));
        Assert.Equal("""{"m": 1}""", fields["meta"]);
        Assert.Equal(("1234", "1234", "45", "epoch-1"), (fields["created"], fields["empty"], fields["rw"], fields["epoch"]));
        Assert.Equal(("0", "0", "0", "0"), (fields["last"], fields["host"], fields["ver"], fields["seq"]));
    }

    [Fact]
    public void A_snapshot_is_read_back_with_its_members_in_client_id_order()
    {
        var room = Rooms.Create(Rooms.Host, HostAssignment.Secret, maxClients: 7, id: "r", metadata: """{"m": 1}""", resumeWindowSeconds: 45);
        var fields = StoredRoom.Fields(room, At.ToUnixTimeMilliseconds())
            .Select(f => f.Name == "host" ? new HashEntry("host", 3) : f.Name == "ver" ? new HashEntry("ver", 6) : f.Name == "seq" ? new HashEntry("seq", 11) : f.Name == "last" ? new HashEntry("last", 5) : f.Name == "empty" ? new HashEntry("empty", string.Empty) : f)
            .SelectMany(f => new[] { Value(f.Name), Value(f.Value) })
            .ToArray();
        var members = new[]
        {
            Value(5), Value(StoredRoom.EncodeMember(new MemberJoined(5, "e", null, "n", At, false, false, null, "t5"), "node-b", null, 9, null)),
            Value(3), Value(StoredRoom.EncodeMember(new MemberJoined(3, "c", null, "n", At, false, true, null, "t3"), string.Empty, null, 4, At.AddSeconds(45))),
        };

        var snapshot = StoredRoom.Read("r", fields, members, Rooms.Registry());

        Assert.Equal("r", snapshot.Settings.Id);
        Assert.Same(Rooms.Host, snapshot.Settings.Protocol);
        Assert.Equal(HostAssignment.Secret, snapshot.Settings.HostAssignment);
        Assert.Equal((7, 45, "epoch-1"), (snapshot.Settings.MaxClients, snapshot.Settings.ResumeWindowSeconds, snapshot.Settings.Epoch));
        Assert.Equal("""{"m": 1}""", snapshot.Settings.Metadata.ToString());
        Assert.True(snapshot.Settings.Secret.Matches(SecretHash.Digest(Rooms.Secret)));
        Assert.True(snapshot.Settings.HostSecret.Matches(SecretHash.Digest(Rooms.HostSecret)));
        Assert.Equal(At, snapshot.CreatedAt);
        Assert.False(snapshot.Locked);
        Assert.Equal(((int?)3, 5, 6L, 11L), (snapshot.HostId, snapshot.LastClientId, snapshot.Version, snapshot.Seq));
        Assert.Null(snapshot.EmptySince);
        Assert.Equal([3, 5], snapshot.Members.Select(m => m.Joined.ClientId));
        Assert.True(snapshot.Members[0].IsAway);
        Assert.Equal("node-b", snapshot.Members[1].Node);
    }

    private static RedisResult Value(RedisValue value) => RedisResult.Create(value);

    private static RedisResult Value(string value) => RedisResult.Create((RedisValue)Encoding.UTF8.GetBytes(value));
}
