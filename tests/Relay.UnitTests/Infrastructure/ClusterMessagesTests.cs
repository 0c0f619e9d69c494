using System.Text;
using Relay.Application.Abstractions;
using Relay.Domain.Sessions;
using Relay.Infrastructure.Rooms.Redis;

namespace Relay.UnitTests.Infrastructure;

public sealed class ClusterMessagesTests
{
    [Fact]
    public void A_broadcast_relay_round_trips_with_its_payload_untouched()
    {
        var payload = "{\"a\":[1,2,{\"b\":\"\\u00e9\"}]}"u8.ToArray();
        var bytes = RelayCodec.Encode("node-1", new RelayEnvelope(FrameKind.Text, 7, payload, null));

        Assert.True(RelayCodec.TryDecode(bytes, out var node, out var envelope));
        Assert.Equal("node-1", node);
        Assert.Equal(FrameKind.Text, envelope.Kind);
        Assert.Equal(7, envelope.SenderId);
        Assert.Null(envelope.To);
        Assert.Equal(payload, envelope.Payload.ToArray());
    }

    [Fact]
    public void A_targeted_binary_relay_keeps_its_recipients_in_order()
    {
        byte[] payload = [0, 255, 10, 13];
        var bytes = RelayCodec.Encode("n", new RelayEnvelope(FrameKind.Binary, 0, payload, [3, 1, 2]));

        Assert.True(RelayCodec.TryDecode(bytes, out _, out var envelope));
        Assert.Equal(FrameKind.Binary, envelope.Kind);
        Assert.Equal(0, envelope.SenderId);
        Assert.Equal([3, 1, 2], envelope.To);
        Assert.Equal(payload, envelope.Payload.ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("R")]
    [InlineData("E\n1\nJ\n1")]
    public void Truncated_or_foreign_bytes_are_not_a_relay(string text)
    {
        Assert.False(RelayCodec.TryDecode(Encoding.UTF8.GetBytes(text), out _, out _));
    }

    [Fact]
    public void A_join_event_keeps_newlines_in_its_last_field()
    {
        var e = ClusterEvent.Parse("E\n12\nJ\n5\nnode-a\n1700000000000\n1\nnode-a:9\n1two\nlines"u8);

        Assert.NotNull(e);
        Assert.Equal(12, e.Seq);
        Assert.Equal('J', e.Op);
        Assert.Equal(5, e.Int(0));
        Assert.Equal("node-a", e.Fields[1]);
        Assert.Equal(1700000000000, e.Long(2));
        Assert.Equal("two\nlines", e.Optional(5));
    }

    [Fact]
    public void A_leave_event_carries_the_host_outcome_and_an_absent_kick_reason()
    {
        var e = ClusterEvent.Parse("E\n3\nL\n2\nkicked\n1\n4\n0"u8);

        Assert.NotNull(e);
        Assert.Equal(2, e.Int(0));
        Assert.Equal("kicked", e.Fields[1]);
        Assert.Equal("1", e.Fields[2]);
        Assert.Equal(4, e.Int(3));
        Assert.Null(e.Optional(4));
    }

    [Theory]
    [InlineData("E\nx\nJ\n1")]
    [InlineData("E\n1\nZ\n1")]
    [InlineData("E\n1\nL\n1\nleft")]
    [InlineData("R\n1")]
    [InlineData("E")]
    public void Malformed_events_are_ignored(string text)
    {
        Assert.Null(ClusterEvent.Parse(Encoding.UTF8.GetBytes(text)));
    }

    [Theory]
    [InlineData(null, "0")]
    [InlineData("", "1")]
    [InlineData("bob", "1bob")]
    public void Optional_strings_tell_null_from_empty(string? value, string encoded)
    {
        Assert.Equal(encoded, Flagged.Encode(value));
        Assert.Equal(value, Flagged.Decode(encoded));
    }
}
