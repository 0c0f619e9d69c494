using System.Globalization;
using System.Net;

namespace Relay.LoadGen.Workloads;

/// <summary>The knobs of every workload; <see cref="For"/> gives each workload's defaults for a preset.</summary>
public sealed record WorkloadOptions
{
    public int Rooms { get; init; } = 100;

    public int ClientsPerRoom { get; init; } = 10;

    /// <summary>Per-client broadcast rates (msgs/s) to step through, lowest first.</summary>
    public IReadOnlyList<double> Rates { get; init; } = [1, 2, 5, 10, 20, 50, 100];

    public int PayloadBytes { get; init; } = 64;

    public bool Binary { get; init; }

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Unmeasured run at the first rate before the steps (JIT, tiering, pools); default twice the warm-up, at least 1 s.</summary>
    public TimeSpan? Prime { get; init; }

    /// <summary>The latency limit of a sustainable step (p99).</summary>
    public double P99LimitMs { get; init; } = 50;

    /// <summary>The delivery limit of a sustainable step.</summary>
    public double MinDeliveredRatio { get; init; } = 0.999;

    /// <summary>Stop stepping once a step's p99 passes the limit or its delivered rate stops growing.</summary>
    public bool StopAtLimit { get; init; } = true;

    /// <summary>
    /// W1/W2 pacers (null: one per 50 clients, at most 4). How many there are shapes the offered load (pacers
    /// tick together, so several send in the same millisecond), which changes how much a server can batch:
    /// keep it the same when comparing.
    /// </summary>
    public int? Pacers { get; init; }

    /// <summary>
    /// Run every pacer's ticks on one thread of its own that sleeps between them, instead of thread-pool timers
    /// (whose pool threads spin for work after every tick): the raw-socket client's choice, so that a single
    /// core goes to its I/O loop. The ticks are the same, so the offered load keeps its shape.
    /// </summary>
    public bool DedicatedPacers { get; init; }

    /// <summary>Concurrent connects while setting up (and in W4).</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>W3: how long the idle connections are held.</summary>
    public TimeSpan Hold { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>W3 and W4: connections in all (W3 and W4 use <see cref="ClientsPerRoom"/> as the room size).</summary>
    public int Connections { get; init; } = 20_000;

    /// <summary>Source addresses to spread connections over (null: the kernel's choice).</summary>
    public IReadOnlyList<IPAddress> SourceAddresses { get; init; } = [];

    public int? ServerPid { get; init; }

    /// <summary>The other server processes of a cluster (nodes B, ...): sampled too, and summed with <see cref="ServerPid"/>.</summary>
    public IReadOnlyList<int> OtherServerPids { get; init; } = [];

    /// <summary>A Redis (or other backplane) process to sample alongside the servers.</summary>
    public int? RedisPid { get; init; }

    /// <summary>Defaults of a workload (`w1`..`w4`) for a preset (`full`, `quick`, `smoke`).</summary>
    public static WorkloadOptions For(string workload, string preset)
    {
        var quick = preset == "quick";
        var smoke = preset == "smoke";
        var steps = smoke
            ? new { Warm = 0.5, Dur = 1.0 }
            : quick ? new { Warm = 1.0, Dur = 2.0 } : new { Warm = 2.0, Dur = 5.0 };
        var basic = new WorkloadOptions { WarmUp = TimeSpan.FromSeconds(steps.Warm), Duration = TimeSpan.FromSeconds(steps.Dur) };
        return workload switch
        {
            "w1" => basic with
            {
                Rooms = smoke ? 10 : 100,
                ClientsPerRoom = smoke ? 5 : 10,
                Rates = smoke ? [5, 20]
                    : quick ? [2, 5, 10, 15, 20, 30, 40, 50, 60, 80, 120, 160]
                    : [1, 2, 5, 10, 15, 20, 25, 30, 40, 50, 60, 80, 100, 140, 200],
            },
            "w2" => basic with
            {
                Rooms = 1,
                ClientsPerRoom = smoke ? 20 : quick ? 200 : 500,
                Rates = smoke ? [5] : quick ? [1, 4, 8, 16, 24, 32] : [0.2, 0.5, 1, 2, 4, 8, 16],
            },
            "w3" => basic with
            {
                Connections = smoke ? 200 : quick ? 5000 : 20_000,
                ClientsPerRoom = 50,
                Hold = TimeSpan.FromSeconds(smoke ? 1 : quick ? 3 : 10),
                SourceAddresses = [.. Enumerable.Range(2, 8).Select(i => IPAddress.Parse($"127.0.0.{i}"))],
            },
            "w4" => basic with
            {
                Connections = smoke ? 100 : quick ? 1000 : 2000,
                ClientsPerRoom = 50,
            },
            _ => throw new ArgumentException($"unknown workload '{workload}' (w1, w2, w3, w4)", nameof(workload)),
        };
    }

    /// <summary>The options as strings, for the results file.</summary>
    public Dictionary<string, string> Describe(string workload) => workload switch
    {
        "w1" or "w2" => new()
        {
            ["rooms"] = Rooms.ToString(CultureInfo.InvariantCulture),
            ["clientsPerRoom"] = ClientsPerRoom.ToString(CultureInfo.InvariantCulture),
            ["rates"] = string.Join(",", Rates.Select(r => r.ToString(CultureInfo.InvariantCulture))),
            ["payloadBytes"] = PayloadBytes.ToString(CultureInfo.InvariantCulture),
            ["mode"] = Binary ? "binary" : "text",
            ["warmUpSeconds"] = WarmUp.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            ["durationSeconds"] = Duration.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            ["p99LimitMs"] = P99LimitMs.ToString(CultureInfo.InvariantCulture),
        },
        "w3" => new()
        {
            ["connections"] = Connections.ToString(CultureInfo.InvariantCulture),
            ["clientsPerRoom"] = ClientsPerRoom.ToString(CultureInfo.InvariantCulture),
            ["holdSeconds"] = Hold.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            ["concurrency"] = Concurrency.ToString(CultureInfo.InvariantCulture),
            ["sources"] = string.Join(",", SourceAddresses),
        },
        _ => new()
        {
            ["connections"] = Connections.ToString(CultureInfo.InvariantCulture),
            ["clientsPerRoom"] = ClientsPerRoom.ToString(CultureInfo.InvariantCulture),
            ["concurrency"] = Concurrency.ToString(CultureInfo.InvariantCulture),
        },
    };
}
