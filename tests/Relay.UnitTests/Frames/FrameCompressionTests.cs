using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using Relay.Domain.Frames;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Frames;

/// <summary>
/// A frame's compressed wire form (RFC 7692 without context takeover): one final frame with RSV1 set whose payload,
/// with `00 00 FF FF` appended, inflates to the plain payload; made once and shared by every compressing recipient;
/// plain when the payload is short or does not shrink.
/// </summary>
public sealed class FrameCompressionTests
{
    private static readonly FrameCompression Compression = new(minBytes: 256, CompressionLevel.Fastest);

    [Theory]
    [InlineData(256)]
    [InlineData(1024)]
    [InlineData(70_000)] // a plain header of 10 bytes, a compressed one of 4
    [InlineData(1_000_000)]
    public void A_compressible_payload_goes_deflated_with_rsv1_set_and_inflates_to_the_same_bytes(int length)
    {
        var payload = GameStateJson(length);
        var frame = Frame(payload, FrameKind.Text);

        var wire = frame.WireMemoryFor(Compression).ToArray();

        var (first, deflated) = Parse(wire);
        Assert.Equal(0xC1, first); // FIN, RSV1, text
        Assert.True(deflated.Length < payload.Length, $"{deflated.Length} bytes deflated from {payload.Length}");
        Assert.Equal(payload, Inflate(deflated));
        frame.Release();
    }

    [Fact]
    public void A_binary_frame_keeps_its_opcode()
    {
        var frame = Frame(GameStateJson(2000), FrameKind.Binary);

        Assert.Equal(0xC2, frame.WireMemoryFor(Compression).Span[0]);
        Assert.Equal(0x82, frame.WireMemory.Span[0]);
        frame.Release();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(200)]
    [InlineData(255)]
    public void A_payload_shorter_than_min_bytes_stays_plain(int length)
    {
        var frame = Frame(GameStateJson(length), FrameKind.Text);

        Assert.Equal(frame.WireMemory, frame.WireMemoryFor(Compression));
        frame.Release();
    }

    [Fact]
    public void A_payload_that_deflating_does_not_shrink_stays_plain()
    {
        var random = new byte[4096];
        new Random(7).NextBytes(random);
        var frame = Frame(random, FrameKind.Binary);

        Assert.Equal(frame.WireMemory, frame.WireMemoryFor(Compression));
        Assert.Equal(frame.WireMemory, frame.WireMemoryFor(Compression));
        frame.Release();
    }

    [Fact]
    public void A_connection_without_compression_gets_the_plain_form()
    {
        var frame = Frame(GameStateJson(1024), FrameKind.Text);

        Assert.Equal(frame.WireMemory, frame.WireMemoryFor(null));
        Assert.Equal(0x81, frame.WireMemoryFor(null).Span[0]);
        frame.Release();
    }

    [Fact]
    public async Task Many_recipients_writing_at_once_share_one_compressed_form()
    {
        var frame = Frame(GameStateJson(1024), FrameKind.Text);
        const int Recipients = 8;
        for (var i = 0; i < Recipients; i++)
        {
            frame.AddReference();
        }

        var forms = await Concurrently.RunSyncAsync(Recipients, _ => frame.WireMemoryFor(Compression));

        // One buffer, one offset, one length: compressed once, whoever came first.
        Assert.All(forms, form => Assert.Equal(forms[0], form));
        Assert.Equal(0xC1, forms[0].Span[0]);
        Assert.True(MemoryMarshal.TryGetArray(forms[0], out var compressed));
        Assert.True(MemoryMarshal.TryGetArray(frame.WireMemory, out var plain));
        Assert.NotSame(plain.Array, compressed.Array);
        Assert.Equal(forms[0], frame.WireMemoryFor(Compression));
        for (var i = 0; i < Recipients; i++)
        {
            frame.Release();
        }

        frame.Release();
    }

    [Fact]
    public void The_compressed_form_goes_with_the_last_reference()
    {
        var frame = Frame(GameStateJson(1024), FrameKind.Text);
        frame.AddReference();
        _ = frame.WireMemoryFor(Compression);

        frame.Release();
        Assert.Equal(0xC1, frame.WireMemoryFor(Compression).Span[0]);
        frame.Release();

        Assert.True(FrameState.IsReleased(frame));
        Assert.Throws<ObjectDisposedException>(() => frame.WireMemoryFor(Compression));
    }

    [Fact]
    public void The_sent_length_is_the_compressed_payload_once_the_compressed_form_exists()
    {
        var frame = Frame(GameStateJson(1024), FrameKind.Text);
        Assert.Equal(1024, frame.SentLength(Compression));

        var wire = frame.WireMemoryFor(Compression);

        var header = (wire.Span[1] & 0x7f) == 126 ? 4 : 2;
        Assert.Equal(wire.Length - header, frame.SentLength(Compression));
        Assert.True(frame.SentLength(Compression) < 1024);
        Assert.Equal(1024, frame.SentLength(null));
        frame.Release();
    }

    [Fact]
    public void Each_payload_is_deflated_on_its_own()
    {
        // No context takeover: the second frame's bytes do not depend on the first having been compressed.
        var payload = GameStateJson(1024);
        var first = Frame(payload, FrameKind.Text);
        var second = Frame(payload, FrameKind.Text);

        Assert.Equal(first.WireMemoryFor(Compression).ToArray(), second.WireMemoryFor(Compression).ToArray());
        first.Release();
        second.Release();
    }

    [Fact]
    public void Min_bytes_must_not_be_negative()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameCompression(-1, CompressionLevel.Fastest));
    }

    /// <summary>JSON of about <paramref name="length"/> bytes (exactly that long), repetitive as game state is.</summary>
    internal static byte[] GameStateJson(int length)
    {
        var text = new StringBuilder("{\"tick\":1,\"players\":[");
        var random = new Random(42);
        while (text.Length < length)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{{\"id\":{random.Next(1, 16)},\"x\":{random.Next(0, 1000)}.{random.Next(0, 99)},\"y\":{random.Next(0, 1000)},\"hp\":{random.Next(0, 100)}}},");
        }

        return Encoding.UTF8.GetBytes(text.ToString(0, length));
    }

    private static OutboundFrame Frame(byte[] payload, FrameKind kind)
    {
        var frame = OutboundFrame.Rent(payload.Length, kind);
        payload.CopyTo(frame.WritableSpan);
        return frame;
    }

    /// <summary>The first header byte and the payload of one unmasked frame that is the whole of <paramref name="wire"/>.</summary>
    private static (byte First, byte[] Payload) Parse(byte[] wire)
    {
        Assert.Equal(0, wire[1] & 0x80);
        var (headerLength, length) = (wire[1] & 0x7f) switch
        {
            126 => (4, (long)BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(2))),
            127 => (10, (long)BinaryPrimitives.ReadUInt64BigEndian(wire.AsSpan(2))),
            var l => (2, (long)l),
        };
        Assert.Equal(wire.Length, headerLength + length);
        var shortest = length < 126 ? 2 : length <= ushort.MaxValue ? 4 : 10;
        Assert.Equal(shortest, headerLength);
        return (wire[0], wire[headerLength..]);
    }

    /// <summary>RFC 7692 7.2.2: append `00 00 FF FF` and inflate.</summary>
    private static byte[] Inflate(byte[] deflated)
    {
        using var input = new MemoryStream([.. deflated, 0x00, 0x00, 0xFF, 0xFF]);
        using var inflate = new DeflateStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        inflate.CopyTo(output);
        return output.ToArray();
    }
}
