using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Broadcast;
using Relay.Application.Realtime.Delivery;
using Relay.Benchmarks.Support;
using Relay.Domain.Frames;

namespace Relay.Benchmarks;

/// <summary>
/// <see cref="BroadcastHandler.Handle"/> called directly (no mediator): the audience decided once, one frame built,
/// then offered by <see cref="RoomDelivery"/> to each of the other <c>Members - 1</c> members, whose connection takes
/// and releases a reference at once. With <c>Sequenced</c>, the room has a resume window and every member joined with
/// `resume: true`: each relay is numbered by the backplane, kept in the room's history, and a binary one is built twice
/// (version 1's layout and the 12-byte resume layout, which resumable members get). Allocated bytes must not grow with
/// <c>Members</c>: see the Alloc/recipient column.
/// </summary>
[MemoryDiagnoser]
public class FanOutBenchmarks
{
    private ServiceProvider _services = null!;
    private BroadcastHandler _handler = null!;
    private BroadcastCommand _text = null!;
    private BroadcastCommand _binary = null!;

    [Params(10, 100, 1000)]
    public int Members { get; set; }

    [Params(false, true)]
    public bool Sequenced { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _services = RelayServices.Build();
        _handler = new BroadcastHandler(_services.GetRequiredService<RoomRelays>());
        var sender = Fixtures.RoomWithMembers(_services, Members, Sequenced);
        var payload = Fixtures.Utf8(Fixtures.DataObject(64));
        _text = new BroadcastCommand(sender, payload, FrameKind.Text);
        _binary = new BroadcastCommand(sender, payload, FrameKind.Binary);
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true, Description = "broadcast text 64 B")]
    public ValueTask<RealtimeResult> Text() => _handler.Handle(_text, CancellationToken.None);

    [Benchmark(Description = "broadcast binary 64 B")]
    public ValueTask<RealtimeResult> Binary() => _handler.Handle(_binary, CancellationToken.None);
}
