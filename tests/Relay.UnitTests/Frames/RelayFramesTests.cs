using System.Text;
using Relay.Application.Realtime.Frames;
using Relay.Domain.Frames;

namespace Relay.UnitTests.Frames;

public sealed class RelayFramesTests
{
    private static string TextOf(OutboundFrame frame)
    {
        var text = Encoding.UTF8.GetString(frame.Memory.Span);
        frame.Release();
        return text;
    }

    [Theory]
    [InlineData(7, """{"a": 1}""")]
    [InlineData(0, "null")]
    [InlineData(2147483647, """ [1, "é", {"x" :2.50}] """)]
    [InlineData(123, "\"\\u0041 raw\"")]
    public void Message_is_the_envelope_around_the_data_as_sent(int from, string data)
    {
        var frame = RelayFrames.Message(from, Encoding.UTF8.GetBytes(data));

        Assert.Equal(FrameKind.Text, frame.Kind);
        Assert.Equal("{\"type\":\"message\",\"from\":" + from + ",\"data\":" + data + "}", TextOf(frame));
    }

    [Fact]
    public void Message_length_matches_its_bytes()
    {
        var frame = RelayFrames.Message(12, "[1,2]"u8);

        Assert.Equal(Encoding.UTF8.GetByteCount("""{"type":"message","from":12,"data":[1,2]}"""), frame.Length);
        frame.Release();
    }

    [Fact]
    public void Binary_is_a_big_endian_sender_id_then_the_payload()
    {
        var frame = RelayFrames.Binary(0x01020304, [0xAA, 0x00, 0xFF]);

        Assert.Equal(FrameKind.Binary, frame.Kind);
        Assert.Equal([0x01, 0x02, 0x03, 0x04, 0xAA, 0x00, 0xFF], frame.Memory.ToArray());
        frame.Release();
    }

    [Fact]
    public void Binary_with_an_empty_payload_is_just_the_id()
    {
        var frame = RelayFrames.Binary(5, []);

        Assert.Equal([0, 0, 0, 5], frame.Memory.ToArray());
        frame.Release();
    }

    [Fact]
    public void For_picks_the_frame_by_kind()
    {
        var text = RelayFrames.For(FrameKind.Text, 3, "1"u8);
        var binary = RelayFrames.For(FrameKind.Binary, 3, "1"u8);

        Assert.Equal("""{"type":"message","from":3,"data":1}""", TextOf(text));
        Assert.Equal([0, 0, 0, 3, (byte)'1'], binary.Memory.ToArray());
        binary.Release();
    }

    [Fact]
    public void Frames_are_pooled_and_released_by_their_creator()
    {
        var frame = RelayFrames.Message(1, "{}"u8);

        frame.Release();

        Assert.Throws<ObjectDisposedException>(() => frame.Memory);
    }

    [Fact]
    public void Message_in_a_sequenced_room_carries_seq_before_the_data()
    {
        var frame = RelayFrames.Message(3, "{\"a\":1}"u8, seq: 9_000_000_000);

        Assert.Equal("""{"type":"message","from":3,"seq":9000000000,"data":{"a":1}}""", TextOf(frame));
    }

    [Fact]
    public void SequencedBinary_is_the_sender_id_then_an_8_byte_big_endian_seq_then_the_payload()
    {
        var frame = RelayFrames.SequencedBinary(0x01020304, 0x0A0B0C0D0E0F1011, [0xAA, 0xBB]);

        Assert.Equal(FrameKind.Binary, frame.Kind);
        Assert.Equal([0x01, 0x02, 0x03, 0x04, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0xAA, 0xBB], frame.Memory.ToArray());
        frame.Release();
    }

    [Fact]
    public void ForResumable_differs_only_for_a_binary_relay_of_a_sequenced_room()
    {
        Assert.Null(RelayFrames.ForResumable(FrameKind.Text, 3, "1"u8, 5));
        Assert.Null(RelayFrames.ForResumable(FrameKind.Binary, 3, "1"u8, 0, sequencedRoom: false));

        // Unnumbered (delivered on one node during a store outage): still the resume layout, with seq 0.
        var unnumbered = RelayFrames.ForResumable(FrameKind.Binary, 3, [7], 0)!;
        Assert.Equal([0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 7], unnumbered.Memory.ToArray());
        unnumbered.Release();

        var resumable = RelayFrames.ForResumable(FrameKind.Binary, 3, [7], 5)!;
        var plain = RelayFrames.For(FrameKind.Binary, 3, [7], 5);

        Assert.Equal([0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 5, 7], resumable.Memory.ToArray());
        Assert.Equal([0, 0, 0, 3, 7], plain.Memory.ToArray());
        resumable.Release();
        plain.Release();
    }
}
