using System.Text;
using Relay.Application.Abstractions;
using Relay.Domain.Frames;
using Relay.Domain.Rooms;
using Relay.Infrastructure.Backplanes.Redis;

namespace Relay.UnitTests.Infrastructure.Redis;

/// <summary>The typed, versioned format of a room's channel and history: every event and relay round trips.</summary>
public sealed class RoomEventCodecTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);

    private static byte[] Channel(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>An event as the commit script publishes it: <c>E1 {seq}\n</c> then the event's JSON.</summary>
    private static byte[] Published(long seq, RoomEvent e) => [.. Channel($"E1 {seq}\n"), .. RoomEventCodec.EncodeEvent(e)];

    private static T RoundTrip<T>(T e, long seq = 12)
        where T : RoomEvent
    {
        var message = RoomEventCodec.Decode(Published(seq, e));
        Assert.Equal(ChannelMessageKind.Event, message.Kind);
        Assert.Equal(seq, message.Seq);
        return Assert.IsType<T>(message.Event);
    }

    [Theory]
    [InlineData("ann", "user-1", true)]
    [InlineData(null, null, false)]
    [InlineData("", "", true)]
    [InlineData("two\nlines \"quoted\" é 😀", "sub|with|bars", false)]
    public void A_join_round_trips_with_every_field(string? name, string? userId, bool becomesHost)
    {
        byte[] digest = [0, 1, 2, 254, 255];
        var joined = new MemberJoined(5, name, userId, "node-a", At, becomesHost, Resumable: true, digest, "node-a:9");

        var back = RoundTrip(joined);

        Assert.Equal(joined with { ResumeTokenDigest = back.ResumeTokenDigest }, back);
        Assert.Equal(digest, back.ResumeTokenDigest);
        Assert.Equal(becomesHost ? 2 : 1, back.Width);
    }

    [Fact]
    public void A_join_without_resume_has_no_token()
    {
        var joined = new MemberJoined(1, "a", null, "n", At, false, false, null, "n:1");

        Assert.Equal(joined, RoundTrip(joined));
    }

    [Theory]
    [InlineData(SuccessionKind.Unchanged, 0, "left", null)]
    [InlineData(SuccessionKind.PassTo, 4, "disconnected", null)]
    [InlineData(SuccessionKind.NoHost, 0, "timeout", null)]
    [InlineData(SuccessionKind.CloseRoom, 0, "kicked", "spam\nand more")]
    [InlineData(SuccessionKind.Unchanged, 0, "kicked", "")]
    public void A_departure_round_trips_with_its_host_succession(SuccessionKind kind, int next, string reason, string? kickReason)
    {
        var left = new MemberLeft(2, reason, kickReason, new HostSuccession(kind, next));

        Assert.Equal(left, RoundTrip(left));
    }

    [Fact]
    public void Away_back_host_update_and_close_round_trip()
    {
        var away = new MemberAway(3, At.AddSeconds(30));
        byte[] digest = [9, 8, 7];
        var back = new MemberBack(3, "node-c", digest, WasAway: true, "node-c:2");
        var host = new HostTransferred(7);
        var updated = new RoomUpdated(9, true, RoomMetadata.FromJson("""{ "map" : "x",  "n": [1, 2.50] }"""), 120);
        var closed = new RoomClosed("closed_by_host", 4000, "bye \"all\"");
        var closedQuietly = new RoomClosed("expired", 4000, null);

        Assert.Equal(away, RoundTrip(away));
        var decodedBack = RoundTrip(back);
        Assert.Equal(back with { ResumeTokenDigest = decodedBack.ResumeTokenDigest }, decodedBack);
        Assert.Equal(digest, decodedBack.ResumeTokenDigest);
        Assert.Equal(host, RoundTrip(host));
        var decodedUpdate = RoundTrip(updated);
        Assert.Equal((9, true, 120), (decodedUpdate.MaxClients, decodedUpdate.Locked, decodedUpdate.ResumeWindowSeconds));
        Assert.Equal(updated.Metadata.ToString(), decodedUpdate.Metadata.ToString());
        Assert.Equal(closed, RoundTrip(closed));
        Assert.Equal(closedQuietly, RoundTrip(closedQuietly));
    }

    [Fact]
    public void Encoding_a_kind_of_event_the_format_does_not_know_throws()
    {
        Assert.Throws<ArgumentException>(() => RoomEventCodec.EncodeEvent(new UnknownEvent()));
    }

    [Fact]
    public void An_event_type_this_version_does_not_know_is_not_decoded()
    {
        Assert.Equal(ChannelMessageKind.None, RoomEventCodec.Decode(Channel("E1 3\n{\"type\":\"renamed\",\"clientId\":1}")).Kind);
        Assert.Null(RoomEventCodec.DecodeEvent("{\"type\":\"renamed\"}"u8));
    }

    [Fact]
    public void A_malformed_event_body_throws_what_the_replica_treats_as_unreadable()
    {
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => RoomEventCodec.Decode(Channel("E1 3\n{\"type\":")));
        Assert.Throws<KeyNotFoundException>(() => RoomEventCodec.Decode(Channel("E1 3\n{\"type\":\"host\"}")));
    }

    public static TheoryData<string, int[]?> Audiences => new()
    {
        { "all", null },
        { "all-but", [3] },
        { "one", [2] },
        { "list", [3, 1, 2] },
        { "none", null },
    };

    [Theory]
    [MemberData(nameof(Audiences))]
    public void A_text_relay_round_trips_with_its_audience_and_its_payload_untouched(string kind, int[]? ids)
    {
        var audience = AudienceOf(kind, ids);
        var payload = "{\"a\":[1,2,{\"b\":\"\\u00e9\"}],\n\"c\": \"é\"}"u8.ToArray();

        var message = RoomEventCodec.Decode(RoomEventCodec.EncodeRelay("node-1", 41, new RelayMessage(FrameKind.Text, 7, payload, audience)));

        Assert.Equal(ChannelMessageKind.Relay, message.Kind);
        Assert.Equal("node-1", message.Origin);
        Assert.Equal(41, message.Counter);
        Assert.Equal(FrameKind.Text, message.Relay.Kind);
        Assert.Equal(7, message.Relay.SenderId);
        Assert.Equal(payload, message.Relay.Payload.ToArray());
        AssertSameAudience(audience, message.Relay.Audience);
        Assert.False(message.Relay.ToHost);
    }

    [Theory]
    [MemberData(nameof(Audiences))]
    public void A_binary_relay_round_trips_with_every_byte_value(string kind, int[]? ids)
    {
        var audience = AudienceOf(kind, ids);
        var payload = Enumerable.Range(0, 256).Select(i => (byte)i).Concat("\n\n"u8.ToArray()).ToArray();

        var message = RoomEventCodec.Decode(RoomEventCodec.EncodeRelay("n", 1, new RelayMessage(FrameKind.Binary, 0, payload, audience)));

        Assert.Equal(ChannelMessageKind.Relay, message.Kind);
        Assert.Equal(FrameKind.Binary, message.Relay.Kind);
        Assert.Equal(0, message.Relay.SenderId);
        Assert.Equal(payload, message.Relay.Payload.ToArray());
        AssertSameAudience(audience, message.Relay.Audience);
    }

    [Fact]
    public void An_empty_payload_round_trips()
    {
        var message = RoomEventCodec.Decode(RoomEventCodec.EncodeRelay("n", 2, new RelayMessage(FrameKind.Binary, 4, ReadOnlyMemory<byte>.Empty, Audience.Everyone)));

        Assert.Equal(ChannelMessageKind.Relay, message.Kind);
        Assert.Empty(message.Relay.Payload.ToArray());
    }

    [Fact]
    public void A_sequenced_relay_as_the_script_writes_it_is_read_with_its_seq()
    {
        byte[] payload = [0, 10, 255];

        byte[] published = [.. Channel("S1 42 b 7 l3,4\n"), .. payload];

        var message = RoomEventCodec.Decode(published);

        Assert.Equal(ChannelMessageKind.SequencedRelay, message.Kind);
        Assert.Equal(42, message.Seq);
        Assert.Equal(FrameKind.Binary, message.Relay.Kind);
        Assert.Equal(7, message.Relay.SenderId);
        Assert.Equal([3, 4], message.Relay.Audience.List);
        Assert.Equal(payload, message.Relay.Payload.ToArray());
    }

    [Fact]
    public void A_relay_to_the_host_is_left_for_the_relay_script_to_resolve()
    {
        Assert.Equal("h", RoomEventCodec.AudienceSpec(Audience.Single(2), toHost: true));
        Assert.Equal("o2", RoomEventCodec.AudienceSpec(Audience.Single(2), toHost: false));
        Assert.Equal("a0", RoomEventCodec.AudienceSpec(Audience.Everyone, toHost: false));
        Assert.Equal("l5,1", RoomEventCodec.AudienceSpec(Audience.Listed([5, 1]), toHost: false));
        Assert.Equal("n", RoomEventCodec.AudienceSpec(Audience.Nobody, toHost: false));
    }

    [Theory]
    [InlineData("E2 1\n{\"type\":\"host\",\"hostId\":1}")]
    [InlineData("E12 1\n{\"type\":\"host\",\"hostId\":1}")]
    [InlineData("S2 1 t 1 a0\n1")]
    [InlineData("R2 n 1 t 1 a0\n1")]
    [InlineData("R0 n 1 t 1 a0\n1")]
    public void A_format_version_it_does_not_know_is_rejected(string text)
    {
        Assert.Equal(ChannelMessageKind.None, RoomEventCodec.Decode(Channel(text)).Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("R")]
    [InlineData("R1 ")]
    [InlineData("E1 1")]
    [InlineData("E1 x\n{\"type\":\"host\",\"hostId\":1}")]
    [InlineData("E1 1 2\n{\"type\":\"host\",\"hostId\":1}")]
    [InlineData("R1 n\n1")]
    [InlineData("R1 n 1 t 1\n1")]
    [InlineData("R1 n x t 1 a0\n1")]
    [InlineData("R1 n 1 x 1 a0\n1")]
    [InlineData("R1 n 1 t x a0\n1")]
    [InlineData("R1 n 1 t 1 q0\n1")]
    [InlineData("R1 n 1 t 1 ax\n1")]
    [InlineData("R1 n 1 t 1 l\n1")]
    [InlineData("R1 n 1 t 1 l1,,2\n1")]
    [InlineData("R1 n 1 t 1 h\n1")]
    [InlineData("S1 x t 1 a0\n1")]
    [InlineData("Z1 1\n1")]
    [InlineData("E\n1\nJ\n1")]
    public void Truncated_malformed_or_foreign_bytes_are_not_a_message(string text)
    {
        Assert.Equal(ChannelMessageKind.None, RoomEventCodec.Decode(Channel(text)).Kind);
    }

    private static Audience AudienceOf(string kind, int[]? ids) => kind switch
    {
        "all" => Audience.Everyone,
        "all-but" => Audience.AllBut(ids![0]),
        "one" => Audience.Single(ids![0]),
        "list" => Audience.Listed(ids!),
        _ => Audience.Nobody,
    };

    private static void AssertSameAudience(Audience expected, Audience actual)
    {
        Assert.Equal((expected.Kind, expected.Except, expected.Only), (actual.Kind, actual.Except, actual.Only));
        Assert.Equal(expected.List, actual.List);
    }

    private sealed record UnknownEvent : RoomEvent;
}
