using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Relay.Application.Realtime;
using Relay.Benchmarks.Support;

namespace Relay.Benchmarks;

/// <summary>
/// One received message end to end through <see cref="RealtimeDispatcher"/>: envelope parsing, the generated
/// mediator with its pipeline, and the fan-out to a room of 10 (no-op connections).
/// </summary>
[MemoryDiagnoser]
public class DispatcherBenchmarks
{
    private ServiceProvider _services = null!;
    private RealtimeDispatcher _dispatcher = null!;
    private ClientConnection _session = null!;
    private ReadOnlyMemory<byte> _text;
    private ReadOnlyMemory<byte> _binary;

    [GlobalSetup]
    public void Setup()
    {
        _services = RelayServices.Build();
        _dispatcher = _services.GetRequiredService<RealtimeDispatcher>();
        _session = Fixtures.RoomWithMembers(_services, 10);
        _text = Fixtures.Utf8($"{{\"type\":\"broadcast\",\"data\":{Fixtures.DataObject(64)}}}");
        var data = Fixtures.Utf8(Fixtures.DataObject(64));
        var binary = new byte[data.Length + 1];
        data.CopyTo(binary, 1);
        _binary = binary;
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true, Description = "HandleTextAsync broadcast 64 B, room of 10")]
    public ValueTask Text() => _dispatcher.HandleTextAsync(_session, _text, CancellationToken.None);

    [Benchmark(Description = "HandleBinaryAsync 0x00 broadcast 64 B, room of 10")]
    public ValueTask Binary() => _dispatcher.HandleBinaryAsync(_session, _binary, CancellationToken.None);
}
