using BenchmarkDotNet.Attributes;
using Relay.Application.Realtime.Frames;
using Relay.Application.Realtime.Parsing;
using Relay.Benchmarks.Support;

namespace Relay.Benchmarks;

/// <summary>
/// Building one outgoing frame and releasing it (its pooled buffer goes back to the pool), as a broadcast
/// does once per message whatever the number of recipients.
/// </summary>
[MemoryDiagnoser]
public class FrameBuildingBenchmarks
{
    private const int From = 7;

    private byte[] _data64 = [];
    private byte[] _data4K = [];
    private MessageRef _ref;

    [GlobalSetup]
    public void Setup()
    {
        _data64 = Fixtures.Utf8(Fixtures.DataObject(64));
        _data4K = Fixtures.Utf8(Fixtures.DataObject(4096));
        _ref = new MessageRef(Fixtures.Utf8("\"m-42\""));
    }

    [Benchmark(Baseline = true, Description = "RelayFrames.Message 64 B")]
    public int Message64() => BuildAndRelease(RelayFrames.Message(From, _data64));

    [Benchmark(Description = "RelayFrames.Message 4 KiB")]
    public int Message4K() => BuildAndRelease(RelayFrames.Message(From, _data4K));

    [Benchmark(Description = "RelayFrames.Binary 64 B")]
    public int Binary64() => BuildAndRelease(RelayFrames.Binary(From, _data64));

    [Benchmark(Description = "RelayFrames.Binary 4 KiB")]
    public int Binary4K() => BuildAndRelease(RelayFrames.Binary(From, _data4K));

    [Benchmark(Description = "ServerFrames.ClientJoined")]
    public int ClientJoined() => BuildAndRelease(ServerFrames.ClientJoined(From, "alice"));

    [Benchmark(Description = "ServerFrames.Error (with ref)")]
    public int Error() => BuildAndRelease(ServerFrames.Error("bad_request", "data is required", _ref));

    private static int BuildAndRelease(Domain.Frames.OutboundFrame frame)
    {
        var length = frame.Length;
        frame.Release();
        return length;
    }
}
