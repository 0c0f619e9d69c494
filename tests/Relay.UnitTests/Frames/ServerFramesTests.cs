using System.Text;
using System.Text.Json;
using Relay.Application.Realtime.Frames;
using Relay.Application.Realtime.Parsing;
using Relay.Domain.Rooms;
using Relay.Domain.Frames;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Frames;

public sealed class ServerFramesTests
{
    private static JsonElement Json(OutboundFrame frame)
    {
        Assert.Equal(FrameKind.Text, frame.Kind);
        using var document = JsonDocument.Parse(frame.Memory);
        var root = document.RootElement.Clone();
        frame.Release();
        return root;
    }

    private static MessageRef Ref(string raw) => new(Encoding.UTF8.GetBytes(raw));

    [Fact]
    public void Connected_describes_the_room_and_its_clients()
    {
        const string Metadata = """{ "map" : "dust",  "n": [1, 2.50] }""";
        var room = Rooms.Create(Rooms.Host, id: "lobby", metadata: Metadata);
        var host = Rooms.Join(room, "ann");
        var self = Rooms.Join(room);

        var json = Json(ServerFrames.Connected(room, self, Ref("\"c-1\"")));

        Assert.Equal("connected", json.GetProperty("type").GetString());
        Assert.Equal("lobby", json.GetProperty("roomId").GetString());
        Assert.Equal(2, json.GetProperty("clientId").GetInt32());
        Assert.Equal(1, json.GetProperty("hostId").GetInt32());
        Assert.False(json.GetProperty("isHost").GetBoolean());
        Assert.Equal("host", json.GetProperty("protocol").GetString());
        Assert.Equal(Metadata, json.GetProperty("metadata").GetRawText());
        Assert.Equal("c-1", json.GetProperty("ref").GetString());

        var clients = json.GetProperty("clients").EnumerateArray().ToArray();
        Assert.Equal(2, clients.Length);
        Assert.Equal(1, clients[0].GetProperty("clientId").GetInt32());
        Assert.Equal("ann", clients[0].GetProperty("name").GetString());
        Assert.True(clients[0].GetProperty("isHost").GetBoolean());
        Assert.Equal(2, clients[1].GetProperty("clientId").GetInt32());
        Assert.Equal(JsonValueKind.Null, clients[1].GetProperty("name").ValueKind);
        Assert.False(clients[1].GetProperty("isHost").GetBoolean());
        Assert.Equal(host.ClientId, clients[0].GetProperty("clientId").GetInt32());
    }

    [Fact]
    public void Connected_metadata_is_written_byte_for_byte()
    {
        const string Metadata = "{\"a\" :\t\"\\u00e9\"}";
        var room = Rooms.Create(metadata: Metadata);
        var self = Rooms.Join(room);

        var frame = ServerFrames.Connected(room, self, MessageRef.None);
        var text = Encoding.UTF8.GetString(frame.Memory.Span);
        frame.Release();

        Assert.Contains("\"metadata\":" + Metadata + ",", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Connected_for_the_host_of_a_room_echoes_an_integer_ref()
    {
        var room = Rooms.Create();
        var self = Rooms.Join(room, "solo");

        var json = Json(ServerFrames.Connected(room, self, Ref("17")));

        Assert.True(json.GetProperty("isHost").GetBoolean());
        Assert.Equal(1, json.GetProperty("hostId").GetInt32());
        Assert.Equal("mesh", json.GetProperty("protocol").GetString());
        Assert.Equal(JsonValueKind.Object, json.GetProperty("metadata").ValueKind);
        Assert.Equal(17, json.GetProperty("ref").GetInt32());
        Assert.Equal("solo", Assert.Single(json.GetProperty("clients").EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public void Connected_in_a_room_without_host_has_null_host_id_and_no_ref_when_none_was_sent()
    {
        var room = Rooms.Create(hostAssignment: HostAssignment.Secret);
        var self = Rooms.Join(room);

        var json = Json(ServerFrames.Connected(room, self, MessageRef.None));

        Assert.Equal(JsonValueKind.Null, json.GetProperty("hostId").ValueKind);
        Assert.False(json.GetProperty("isHost").GetBoolean());
        Assert.False(json.TryGetProperty("ref", out _));
    }

    [Fact]
    public void Error_has_code_message_and_ref()
    {
        var json = Json(ServerFrames.Error("room_full", "the room is full", Ref("\"a\\u0062\"")));

        Assert.Equal("error", json.GetProperty("type").GetString());
        Assert.Equal("room_full", json.GetProperty("code").GetString());
        Assert.Equal("the room is full", json.GetProperty("message").GetString());
        Assert.Equal("ab", json.GetProperty("ref").GetString());
    }

    [Fact]
    public void Error_ref_is_echoed_raw()
    {
        var frame = ServerFrames.Error("bad_request", "x", Ref("\"a\\u0062\""));
        var text = Encoding.UTF8.GetString(frame.Memory.Span);
        frame.Release();

        Assert.EndsWith(",\"ref\":\"a\\u0062\"}", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Error_without_ref_has_no_ref_field()
    {
        var json = Json(ServerFrames.Error("bad_request", "nope", MessageRef.None));

        Assert.False(json.TryGetProperty("ref", out _));
        Assert.Equal(3, json.EnumerateObject().Count());
    }

    [Fact]
    public void Error_message_with_special_characters_stays_valid_json()
    {
        var json = Json(ServerFrames.Error("unknown_type", "unknown message type '\"</script>é\n'", MessageRef.None));

        Assert.Equal("unknown message type '\"</script>é\n'", json.GetProperty("message").GetString());
    }

    [Fact]
    public void Host_changed_with_and_without_a_host()
    {
        var none = Json(ServerFrames.HostChanged(null));
        var three = Json(ServerFrames.HostChanged(3));

        Assert.Equal("host_changed", none.GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, none.GetProperty("hostId").ValueKind);
        Assert.Equal(3, three.GetProperty("hostId").GetInt32());
    }

    [Fact]
    public void Client_joined_and_client_left()
    {
        var joined = Json(ServerFrames.ClientJoined(4, "bob"));
        var anonymous = Json(ServerFrames.ClientJoined(5, null));
        var left = Json(ServerFrames.ClientLeft(4, "kicked"));

        Assert.Equal("client_joined", joined.GetProperty("type").GetString());
        Assert.Equal(4, joined.GetProperty("clientId").GetInt32());
        Assert.Equal("bob", joined.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, anonymous.GetProperty("name").ValueKind);
        Assert.Equal("client_left", left.GetProperty("type").GetString());
        Assert.Equal(4, left.GetProperty("clientId").GetInt32());
        Assert.Equal("kicked", left.GetProperty("reason").GetString());
    }

    [Fact]
    public void Kicked_room_closed_left_and_pong()
    {
        var kicked = Json(ServerFrames.Kicked("spam"));
        var closed = Json(ServerFrames.RoomClosed("host_left"));
        var closedWithMessage = Json(ServerFrames.RoomClosed("closed_by_host", "bye"));
        var left = Json(ServerFrames.Left(Ref("2")));
        var pong = Json(ServerFrames.Pong(Ref("\"p\"")));
        var bare = Json(ServerFrames.Pong(MessageRef.None));

        Assert.Equal("spam", kicked.GetProperty("reason").GetString());
        Assert.Equal("room_closed", closed.GetProperty("type").GetString());
        Assert.Equal("host_left", closed.GetProperty("reason").GetString());
        Assert.False(closed.TryGetProperty("message", out _));
        Assert.Equal("bye", closedWithMessage.GetProperty("message").GetString());
        Assert.Equal("left", left.GetProperty("type").GetString());
        Assert.Equal(2, left.GetProperty("ref").GetInt32());
        Assert.Equal("pong", pong.GetProperty("type").GetString());
        Assert.Equal("p", pong.GetProperty("ref").GetString());
        Assert.Single(bare.EnumerateObject());
    }

    [Fact]
    public async Task Frames_built_on_many_threads_do_not_mix()
    {
        var results = await Concurrently.RunSyncAsync(8, i =>
        {
            for (var n = 0; n < 500; n++)
            {
                var json = Json(ServerFrames.ClientLeft(i * 1000 + n, "left"));
                if (json.GetProperty("clientId").GetInt32() != i * 1000 + n)
                {
                    return false;
                }
            }

            return true;
        });

        Assert.All(results, Assert.True);
    }

    [Fact]
    public void Connected_of_a_resumable_joiner_carries_its_token_and_the_latest_seq()
    {
        var room = Rooms.Create(resumeWindowSeconds: 30);
        var self = Rooms.Join(room, "ann", resumable: true);

        var json = Json(ServerFrames.Connected(room, self, MessageRef.None, "tok-1", 2));
        var plain = Json(ServerFrames.Connected(room, self, MessageRef.None));

        Assert.Equal("tok-1", json.GetProperty("resumeToken").GetString());
        Assert.Equal(2, json.GetProperty("seq").GetInt64());
        Assert.False(plain.TryGetProperty("resumeToken", out _));
        Assert.False(plain.TryGetProperty("seq", out _));
    }

    [Fact]
    public void Connected_lists_a_joiner_not_yet_visible_last()
    {
        var room = Rooms.Create();
        Rooms.Join(room, "ann");
        var decision = room.DecideJoin(Rooms.Attempt("bob"));
        System.Text.Json.JsonElement? seen = null;

        room.ApplyJoin(decision.Event!, room.Seq + 1, new TestConnection(), null, s => seen = Json(ServerFrames.Connected(room, s, MessageRef.None)));

        var clients = seen!.Value.GetProperty("clients").EnumerateArray().ToArray();
        Assert.Equal([1, 2], clients.Select(c => c.GetProperty("clientId").GetInt32()));
        Assert.Equal("bob", clients[1].GetProperty("name").GetString());
    }

    [Fact]
    public void Connected_marks_away_members_and_user_ids()
    {
        var room = Rooms.Create(resumeWindowSeconds: 30);
        var decision = room.DecideJoin(Rooms.Attempt("ann", resumable: true) with { UserId = "user-7" });
        var away = Rooms.Apply(room, decision.Event!, new TestConnection());
        room.ApplyAway(room.DecideAway(away.ClientId, ManualTimeProvider.Epoch).Event!, room.Seq + 1);
        var self = Rooms.Join(room);

        var clients = Json(ServerFrames.Connected(room, self, MessageRef.None)).GetProperty("clients").EnumerateArray().ToArray();

        Assert.True(clients[0].GetProperty("away").GetBoolean());
        Assert.Equal("user-7", clients[0].GetProperty("userId").GetString());
        Assert.False(clients[1].TryGetProperty("away", out _));
        Assert.False(clients[1].TryGetProperty("userId", out _));
    }

    [Fact]
    public void Room_events_carry_seq_only_when_it_is_above_zero()
    {
        var joined = Json(ServerFrames.ClientJoined(4, "bob", "u-1", 12));
        var left = Json(ServerFrames.ClientLeft(4, "left", 13));
        var away = Json(ServerFrames.ClientAway(4, 14));
        var back = Json(ServerFrames.ClientBack(4, 15));
        var host = Json(ServerFrames.HostChanged(null, 16));
        var unsequenced = Json(ServerFrames.ClientAway(4, 0));

        Assert.Equal("u-1", joined.GetProperty("userId").GetString());
        Assert.Equal([12L, 13, 14, 15, 16], new[] { joined, left, away, back, host }.Select(j => j.GetProperty("seq").GetInt64()));
        Assert.Equal("client_away", away.GetProperty("type").GetString());
        Assert.Equal("client_back", back.GetProperty("type").GetString());
        Assert.Equal(4, back.GetProperty("clientId").GetInt32());
        Assert.False(unsequenced.TryGetProperty("seq", out _));
    }

    [Fact]
    public void Resumed_describes_the_room_as_found_with_a_new_token_and_the_missed_count()
    {
        var view = new ResumeView("lobby", 2, 1, "mesh", RoomMetadata.FromJson("""{"m" : 1}"""),
            [new MemberView(1, "ann", null, false), new MemberView(2, null, "u-2", true)], 40);

        var json = Json(ServerFrames.Resumed(view, Ref("\"r\""), "tok-2", 3));

        Assert.Equal("resumed", json.GetProperty("type").GetString());
        Assert.Equal("lobby", json.GetProperty("roomId").GetString());
        Assert.Equal(2, json.GetProperty("clientId").GetInt32());
        Assert.Equal(1, json.GetProperty("hostId").GetInt32());
        Assert.False(json.GetProperty("isHost").GetBoolean());
        Assert.Equal("""{"m" : 1}""", json.GetProperty("metadata").GetRawText());
        Assert.Equal("tok-2", json.GetProperty("resumeToken").GetString());
        Assert.Equal(40, json.GetProperty("seq").GetInt64());
        Assert.Equal(3, json.GetProperty("missed").GetInt32());
        Assert.Equal("r", json.GetProperty("ref").GetString());
        var clients = json.GetProperty("clients").EnumerateArray().ToArray();
        Assert.True(clients[0].GetProperty("isHost").GetBoolean());
        Assert.True(clients[1].GetProperty("away").GetBoolean());
        Assert.Equal("u-2", clients[1].GetProperty("userId").GetString());
    }
}
