using BenchmarkDotNet.Attributes;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Broadcast;
using Relay.Benchmarks.Support;
using Relay.Domain.Sessions;
using Relay.Infrastructure.Rooms;

namespace Relay.Benchmarks;

/// <summary>
/// <see cref="BroadcastHandler.Handle"/> called directly (no mediator): one frame built, then offered to each
/// of the other <c>Members - 1</c> sessions, whose transport takes and releases a reference at once.
/// Allocated bytes must not grow with <c>Members</c>: see the Alloc/recipient column.
/// </summary>
[MemoryDiagnoser]
public class FanOutBenchmarks
{
    private BroadcastHandler _handler = null!;
    private BroadcastCommand _text = null!;
    private BroadcastCommand _binary = null!;

    [Params(10, 100, 1000)]
    public int Members { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _handler = new BroadcastHandler(new InMemoryRoomManager(new RoomFactory(TimeProvider.System)), new RelayStats(TimeProvider.System));
        var sender = Fixtures.RoomWithMembers(Members);
        var payload = Fixtures.Utf8(Fixtures.DataObject(64));
        _text = new BroadcastCommand(sender, payload, FrameKind.Text);
        _binary = new BroadcastCommand(sender, payload, FrameKind.Binary);
    }

    [Benchmark(Baseline = true, Description = "broadcast text 64 B")]
    public ValueTask<RealtimeResult> Text() => _handler.Handle(_text, CancellationToken.None);

    [Benchmark(Description = "broadcast binary 64 B")]
    public ValueTask<RealtimeResult> Binary() => _handler.Handle(_binary, CancellationToken.None);
}
