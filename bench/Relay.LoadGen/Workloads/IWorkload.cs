using Relay.LoadGen.Targets;

namespace Relay.LoadGen.Workloads;

/// <summary>One of the benchmark's workloads (W1..W4), run against one target.</summary>
public interface IWorkload
{
    /// <summary>`w1`, `w2`, `w3` or `w4`.</summary>
    string Id { get; }

    Task<WorkloadResult> RunAsync(ITarget target, WorkloadOptions options, TextWriter log, CancellationToken cancellationToken);
}

public static class Workload
{
    public static IWorkload Create(string id) => id switch
    {
        "w1" => new FanOutWorkload(),
        "w2" => new BigRoomWorkload(),
        "w3" => new IdleConnectionsWorkload(),
        "w4" => new ConnectStormWorkload(),
        _ => throw new ArgumentException($"unknown workload '{id}' (w1, w2, w3, w4)", nameof(id)),
    };
}

/// <summary>W1: many small rooms (100 x 10 by default), per-client rate stepped up until p99 passes the limit.</summary>
public sealed class FanOutWorkload : IWorkload
{
    public string Id => "w1";

    public Task<WorkloadResult> RunAsync(ITarget target, WorkloadOptions options, TextWriter log, CancellationToken cancellationToken) =>
        ThroughputRunner.RunAsync(Id, target, options, log, cancellationToken);
}

/// <summary>W2: one big room (500 clients by default) at a few per-client rates.</summary>
public sealed class BigRoomWorkload : IWorkload
{
    public string Id => "w2";

    public Task<WorkloadResult> RunAsync(ITarget target, WorkloadOptions options, TextWriter log, CancellationToken cancellationToken) =>
        ThroughputRunner.RunAsync(Id, target, options, log, cancellationToken);
}
