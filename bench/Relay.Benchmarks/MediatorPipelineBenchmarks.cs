using BenchmarkDotNet.Attributes;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Relay.Application.Common.Results;
using Relay.Application.Realtime;
using Relay.Application.Realtime.Broadcast;
using Relay.Benchmarks.Support;
using Relay.Domain.Frames;

namespace Relay.Benchmarks;

/// <summary>
/// The cost of the mediator on the broadcast path: the same <see cref="BroadcastCommand"/> sent through the
/// generated mediator, built the way the server builds it (singletons, ValidationBehavior in the pipeline),
/// against calling the handler directly. The difference is the pipeline's cost per message. A room of 10 is
/// the realistic case; a room of 1 (the sender alone, nothing fanned out) leaves only frame building in the
/// handler, so the pipeline's share shows with less noise around it.
/// </summary>
[MemoryDiagnoser]
public class MediatorPipelineBenchmarks
{
    private ServiceProvider _services = null!;
    private BroadcastHandler _handler = null!;
    private ISender _sender = null!;
    private IMediator _mediator = null!;
    private Mediator.Mediator _concrete = null!;
    private BroadcastCommand _command = null!;
    private ClientConnection _session = null!;
    private ReadOnlyMemory<byte> _payload;

    [Params(1, 10)]
    public int Members { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _services = RelayServices.Build();
        _handler = _services.GetRequiredService<BroadcastHandler>();
        _sender = _services.GetRequiredService<ISender>();
        _mediator = _services.GetRequiredService<IMediator>();
        _concrete = _services.GetRequiredService<Mediator.Mediator>();
        _session = Fixtures.RoomWithMembers(_services, Members);
        _payload = Fixtures.Utf8(Fixtures.DataObject(64));
        _command = new BroadcastCommand(_session, _payload, FrameKind.Text);
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true, Description = "handler.Handle (direct)")]
    public ValueTask<RealtimeResult> Direct() => _handler.Handle(_command, CancellationToken.None);

    [Benchmark(Description = "ISender.Send (as the dispatcher)")]
    public ValueTask<RealtimeResult> Sender() => _sender.Send(_command, CancellationToken.None);

    [Benchmark(Description = "IMediator.Send")]
    public ValueTask<RealtimeResult> MediatorInterface() => _mediator.Send(_command, CancellationToken.None);

    [Benchmark(Description = "Mediator.Send (concrete, typed overload)")]
    public ValueTask<RealtimeResult> MediatorConcrete() => _concrete.Send(_command, CancellationToken.None);

    [Benchmark(Description = "ISender.Send + new command (as per message)")]
    public ValueTask<RealtimeResult> SenderNewCommand() =>
        _sender.Send(new BroadcastCommand(_session, _payload, FrameKind.Text), CancellationToken.None);
}
