using Relay.Domain.Frames;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Frames;

public sealed class OutboundFrameTests
{
    [Fact]
    public void Wrap_exposes_the_bytes_kind_and_length()
    {
        byte[] bytes = [10, 20, 30];
        var frame = OutboundFrame.Wrap(bytes, FrameKind.Binary);

        Assert.Equal(FrameKind.Binary, frame.Kind);
        Assert.Equal(3, frame.Length);
        Assert.Equal(bytes, frame.Memory.ToArray());
    }

    [Fact]
    public void Rent_exposes_exactly_the_requested_length()
    {
        var frame = OutboundFrame.Rent(5, FrameKind.Text);
        "hello"u8.CopyTo(frame.WritableSpan);

        Assert.Equal(5, frame.WritableSpan.Length);
        Assert.Equal(5, frame.Memory.Length);
        Assert.Equal("hello"u8.ToArray(), frame.Memory.ToArray());
        Assert.Equal(FrameKind.Text, frame.Kind);
        frame.Release();
    }

    [Fact]
    public void The_creator_reference_is_the_last_one()
    {
        var frame = OutboundFrame.Rent(4, FrameKind.Binary);

        frame.Release();

        Assert.Throws<ObjectDisposedException>(() => frame.Memory);
        Assert.Throws<ObjectDisposedException>(() => frame.WritableSpan.Length);
    }

    [Fact]
    public void Each_added_reference_keeps_the_frame_alive_until_released()
    {
        var frame = OutboundFrame.Rent(4, FrameKind.Binary);
        frame.AddReference();
        frame.AddReference();

        frame.Release();
        Assert.Equal(4, frame.Memory.Length);
        frame.Release();
        Assert.Equal(4, frame.Memory.Length);
        frame.Release();

        Assert.Throws<ObjectDisposedException>(() => frame.Memory);
    }

    [Fact]
    public void Wrapped_frames_are_disposed_too_after_the_last_release()
    {
        var frame = OutboundFrame.Wrap([1], FrameKind.Text);
        frame.AddReference();
        frame.Release();
        Assert.Equal(1, frame.Memory.Length);

        frame.Release();

        Assert.Throws<ObjectDisposedException>(() => frame.Memory);
    }

    [Fact]
    public async Task Concurrent_add_and_release_stay_balanced()
    {
        const int Threads = 8;
        const int PerThread = 10_000;
        var frame = OutboundFrame.Rent(16, FrameKind.Text);

        await Concurrently.RunSyncAsync(Threads, _ =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                frame.AddReference();
                frame.Release();
            }

            return true;
        });

        Assert.Equal(16, frame.Memory.Length);
        frame.Release();
        Assert.Throws<ObjectDisposedException>(() => frame.Memory);
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(125, 2)]
    [InlineData(126, 4)]
    [InlineData(65535, 4)]
    [InlineData(65536, 10)]
    public void WireMemory_is_one_final_unmasked_websocket_frame_with_the_shortest_length_header(int length, int header)
    {
        var payload = new byte[length];
        Random.Shared.NextBytes(payload);
        var text = OutboundFrame.Wrap(payload, FrameKind.Text);
        var binary = OutboundFrame.Wrap(payload, FrameKind.Binary);

        var wire = text.WireMemory.ToArray();

        Assert.Equal(header + length, text.WireLength);
        Assert.Equal(header + length, wire.Length);
        Assert.Equal(0x81, wire[0]);
        Assert.Equal(0x82, binary.WireMemory.Span[0]);
        var declared = header switch
        {
            2 => wire[1],
            4 => (wire[2] << 8) | wire[3],
            _ => (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(wire.AsSpan(2)),
        };
        Assert.Equal(header switch { 2 => length, 4 => 126, _ => 127 }, wire[1]);
        Assert.Equal(length, declared);
        Assert.Equal(payload, wire[header..]);
    }
}
