using Relay.Domain.Sessions;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Sessions;

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
}
