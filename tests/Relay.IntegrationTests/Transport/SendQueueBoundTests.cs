using System.Net.WebSockets;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Api.Realtime;
using Relay.Application.Common;
using Relay.Domain.Connections;
using Relay.Domain.Frames;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Transport;

/// <summary>
/// `Relay:SendQueue:MaxBytes` bounds everything a connection holds for its client: the frames queued and the
/// batch its writer is writing, until that write has finished. The transport runs over the server's real
/// WebSocket and coalescing stream; the stream holds the writer's write, as a client that stops reading does.
/// </summary>
public sealed class SendQueueBoundTests
{
    private const int FrameBytes = 1000;
    private const int MaxBytes = 8 * 1024;
    private const int FramesThatFit = MaxBytes / FrameBytes;

    private static readonly OutboundFrame Frame = OutboundFrame.Wrap(new byte[FrameBytes], FrameKind.Binary);

    [Fact]
    public async Task A_batch_being_written_still_counts_against_the_bound()
    {
        var connection = Connect();
        using var transport = connection.Transport;
        FillToTheBound(transport);

        // The writer takes all of them as one batch, and its write hangs: the client reads nothing.
        connection.Stream.HoldWrites();
        var writer = transport.RunWriterAsync();
        await connection.Stream.FirstWrite.WaitAsync(TestClient.DefaultTimeout);

        Assert.False(transport.TrySend(Frame));
        Assert.Equal(CloseCodes.SlowConsumer, transport.CloseCode);
        Assert.Equal(1, connection.Stats.SlowConsumerCloses);

        transport.Abort();
        await writer.WaitAsync(TestClient.DefaultTimeout);
    }

    [Fact]
    public async Task Frames_stop_counting_once_their_write_has_finished()
    {
        var connection = Connect();
        using var transport = connection.Transport;
        FillToTheBound(transport);

        var writer = transport.RunWriterAsync();
        await Eventually.TrueAsync(
            () => Task.FromResult(connection.Stats.FramesSent == FramesThatFit),
            TestClient.DefaultTimeout,
            "the first batch written");

        FillToTheBound(transport);

        Assert.Equal(0, transport.CloseCode);
        transport.Close(CloseCodes.Normal, string.Empty);
        await writer.WaitAsync(TestClient.DefaultTimeout);
        Assert.Equal(2 * FramesThatFit, connection.Stats.FramesSent);
    }

    /// <summary>Queues as many frames as the bound takes (<see cref="FramesThatFit"/>), each accepted.</summary>
    private static void FillToTheBound(WebSocketTransport transport)
    {
        for (var i = 0; i < FramesThatFit; i++)
        {
            Assert.True(transport.TrySend(Frame), $"frame {i} of {FramesThatFit} was refused");
        }
    }

    private static (WebSocketTransport Transport, ScriptedStream Stream, RelayStats Stats) Connect()
    {
        var stream = new ScriptedStream();
        var coalescing = new CoalescingStream(stream, () => { });
        var socket = WebSocket.CreateFromStream(coalescing, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        var stats = new RelayStats(TimeProvider.System);
        var transport = new WebSocketTransport(
            socket,
            coalescing,
            connectionId: 1,
            new TransportLimits(MaxQueuedMessages: 1000, MaxQueuedBytes: MaxBytes, CloseTimeout: TimeSpan.FromHours(1)),
            stats,
            TimeProvider.System,
            NullLogger.Instance);
        return (transport, stream, stats);
    }
}
