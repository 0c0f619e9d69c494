using Relay.Application.Realtime.Delivery;
using Relay.Domain.Connections;
using Relay.Domain.Frames;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Application;

/// <summary>The connection of a returning client: live events are held until `resumed` and the missed events are written.</summary>
public sealed class ReplayGateTests
{
    private readonly TestConnection _inner = new();
    private readonly ReplayGate _gate;

    public ReplayGateTests() => _gate = new ReplayGate(_inner);

    private static OutboundFrame Frame(byte b) => OutboundFrame.Wrap([b], FrameKind.Binary);

    private byte[] Written() => [.. _inner.Frames.Select(f => f.Bytes[0])];

    [Fact]
    public void It_is_the_inner_connection_for_ids_and_epochs()
    {
        Assert.Equal(_inner.Id, _gate.Id);
        Assert.Equal(_inner.Epoch, _gate.Epoch);
    }

    [Fact]
    public void Live_frames_are_held_then_written_after_resumed_and_the_missed_ones_in_that_order()
    {
        var live1 = Frame(10);
        var live2 = Frame(11);
        Assert.True(_gate.TrySend(live1, _gate.Epoch));
        Assert.True(_gate.TrySend(live2, _gate.Epoch));
        live1.Release();
        live2.Release();
        Assert.Empty(_inner.Frames);

        _gate.Open([Frame(1), Frame(2), Frame(3)]);
        var after = Frame(12);
        Assert.True(_gate.TrySend(after, _gate.Epoch));

        Assert.Equal([1, 2, 3, 10, 11, 12], Written());
    }

    [Fact]
    public void Held_frames_keep_a_reference_until_written_and_Open_takes_over_the_caller_s()
    {
        var live = Frame(10);
        var missed = Frame(1);
        _gate.TrySend(live, _gate.Epoch);
        live.Release();

        Assert.Equal(1, live.Memory.Length);
        _gate.Open([missed]);

        Assert.Throws<ObjectDisposedException>(() => live.Memory);
        Assert.Throws<ObjectDisposedException>(() => missed.Memory);
    }

    [Fact]
    public void A_held_send_with_an_ended_epoch_is_refused()
    {
        var epoch = _gate.Epoch;
        _gate.EndEpoch();

        Assert.False(_gate.TrySend(Frame(1), epoch));
        _gate.Open([]);
        Assert.Empty(_inner.Frames);
        Assert.Equal(1, _inner.EndedEpochs);
    }

    [Fact]
    public void Ending_the_epoch_while_holding_drops_what_was_held()
    {
        var live = Frame(10);
        _gate.TrySend(live, _gate.Epoch);
        live.Release();

        _gate.EndEpoch();
        _gate.Open([Frame(1)]);

        Assert.Equal([1], Written());
        Assert.Throws<ObjectDisposedException>(() => live.Memory);
    }

    [Fact]
    public void Closing_drops_what_was_held_and_closes_the_connection()
    {
        var live = Frame(10);
        _gate.TrySend(live, _gate.Epoch);
        live.Release();

        _gate.Close(CloseCodes.Kicked, "kicked");

        Assert.Equal([(CloseCodes.Kicked, "kicked")], _inner.Closes);
        Assert.Throws<ObjectDisposedException>(() => live.Memory);
        Assert.Empty(_inner.Frames);
    }

    [Fact]
    public void A_frame_that_is_not_a_room_event_goes_straight_through()
    {
        _gate.TrySend(Frame(10), _gate.Epoch);

        Assert.True(_gate.TrySend(Frame(7)));

        Assert.Equal([7], Written());
    }

    [Fact]
    public async Task Live_frames_racing_the_opening_are_written_once_each_after_the_missed_ones()
    {
        for (var iteration = 0; iteration < 50; iteration++)
        {
            var inner = new TestConnection();
            var gate = new ReplayGate(inner);
            var missed = Enumerable.Range(0, 5).Select(i => Frame((byte)i)).ToList();

            await Concurrently.RunSyncAsync(2, side =>
            {
                if (side == 0)
                {
                    gate.Open(missed);
                    return true;
                }

                for (var i = 0; i < 50; i++)
                {
                    gate.TrySend(Frame((byte)(100 + i)), gate.Epoch);
                }

                return true;
            });

            var written = inner.Frames.Select(f => f.Bytes[0]).ToArray();
            Assert.Equal([0, 1, 2, 3, 4], written[..5]);
            Assert.Equal(Enumerable.Range(100, 50).Select(i => (byte)i), written[5..]);
        }
    }
}
