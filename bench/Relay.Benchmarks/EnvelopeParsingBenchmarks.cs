using BenchmarkDotNet.Attributes;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Parsing;
using Relay.Benchmarks.Support;

namespace Relay.Benchmarks;

/// <summary>
/// <see cref="ClientMessageParser.Parse"/> on the envelopes clients send most: reads `type`, `to`, `ref`, ...
/// with Utf8JsonReader and keeps `data` as a slice of the input.
/// </summary>
[MemoryDiagnoser]
public class EnvelopeParsingBenchmarks
{
    private const int MaxDepth = 64;

    private ReadOnlyMemory<byte> _broadcast64;
    private ReadOnlyMemory<byte> _sendTo64;
    private ReadOnlyMemory<byte> _connect;
    private ReadOnlyMemory<byte> _broadcast4K;

    [GlobalSetup]
    public void Setup()
    {
        _broadcast64 = Fixtures.Utf8($"{{\"type\":\"broadcast\",\"data\":{Fixtures.DataObject(64)}}}");
        _sendTo64 = Fixtures.Utf8($"{{\"type\":\"send\",\"to\":[2,5,9],\"data\":{Fixtures.DataObject(64)},\"ref\":17}}");
        _connect = Fixtures.Utf8(
            "{\"type\":\"connect\",\"roomId\":\"q3VbJm0x8Kc2LpRt\",\"secret\":\"Zk7xP2mQ9vR4tY8wB1nC5dF6gH3jK0lS\",\"name\":\"alice\",\"ref\":\"c-1\"}");
        _broadcast4K = Fixtures.Utf8($"{{\"type\":\"broadcast\",\"data\":{Fixtures.DataObject(4096)}}}");
        foreach (var message in new[] { _broadcast64, _sendTo64, _connect, _broadcast4K })
        {
            if (ClientMessageParser.Parse(message, MaxDepth, out _).IsError)
            {
                throw new InvalidOperationException("a benchmark message does not parse");
            }
        }
    }

    [Benchmark(Baseline = true, Description = "broadcast, 64 B data")]
    public RealtimeResult Broadcast64() => ClientMessageParser.Parse(_broadcast64, MaxDepth, out _);

    [Benchmark(Description = "send to [3 ids], 64 B data")]
    public RealtimeResult SendTo64() => ClientMessageParser.Parse(_sendTo64, MaxDepth, out _);

    [Benchmark(Description = "connect")]
    public RealtimeResult Connect() => ClientMessageParser.Parse(_connect, MaxDepth, out _);

    [Benchmark(Description = "broadcast, 4 KiB data")]
    public RealtimeResult Broadcast4K() => ClientMessageParser.Parse(_broadcast4K, MaxDepth, out _);
}
