using System.Text.Json;
using System.Text.Json.Serialization;
using Relay.LoadGen.Targets;

namespace Relay.LoadGen;

/// <summary>Everything one results file holds: every workload run against every target, in run order.</summary>
public sealed class ResultsDocument
{
    public DateTimeOffset StartedAt { get; set; } = DateTimeOffset.UtcNow;

    public string Preset { get; set; } = "full";

    public MachineInfo Machine { get; set; } = MachineInfo.Current();

    /// <summary>The command that produced the file (bench/run.sh passes it as BENCH_COMMAND), when known.</summary>
    public string? Command { get; set; } = Environment.GetEnvironmentVariable("BENCH_COMMAND") is { Length: > 0 } c ? c : null;

    public List<WorkloadResult> Runs { get; set; } = [];

    public static ResultsDocument Load(string path) =>
        JsonSerializer.Deserialize(File.ReadAllText(path), LoadGenJson.Default.ResultsDocument) ?? new ResultsDocument();

    public void Save(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, JsonSerializer.Serialize(this, LoadGenJson.Default.ResultsDocument));
    }
}

public sealed class MachineInfo
{
    public int Cores { get; set; }

    public string Os { get; set; } = string.Empty;

    public string Runtime { get; set; } = string.Empty;

    public string Cpu { get; set; } = string.Empty;

    /// <summary>The 1-minute load average when the run started: above about 1 the machine was not idle.</summary>
    public double LoadAverage { get; set; }

    public static MachineInfo Current() => new()
    {
        LoadAverage = LoadAverageNow(),
        Cores = Environment.ProcessorCount,
        Os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        Runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        Cpu = CpuModel(),
    };

    /// <summary>The load average when the run began: bench/run.sh passes the one it read before building (BENCH_LOAD_AVERAGE).</summary>
    public static double LoadAverageNow()
    {
        if (double.TryParse(Environment.GetEnvironmentVariable("BENCH_LOAD_AVERAGE"), System.Globalization.CultureInfo.InvariantCulture, out var given))
        {
            return given;
        }

        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or FormatException or ArgumentOutOfRangeException)
        {
            return 0;
        }
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? string.Empty : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }
}

/// <summary>One workload against one target.</summary>
public sealed class WorkloadResult
{
    public string Target { get; set; } = string.Empty;

    /// <summary>`w1`, `w2`, `w3` or `w4`.</summary>
    public string Workload { get; set; } = string.Empty;

    public DateTimeOffset StartedAt { get; set; } = DateTimeOffset.UtcNow;

    public double Seconds { get; set; }

    public Dictionary<string, string> Parameters { get; set; } = [];

    /// <summary>W1 and W2: one entry per offered rate.</summary>
    public List<StepResult>? Steps { get; set; }

    /// <summary>W1 and W2: the sustainable step (<see cref="SustainableOf"/>), if any.</summary>
    public StepResult? Sustainable { get; set; }

    /// <summary>
    /// The sustainable step of a series: the last step of the unbroken run of steps, from the lowest rate up,
    /// that kept within the limits (a step that passes above a failing one does not count); null when even
    /// the first step failed.
    /// </summary>
    public static StepResult? SustainableOf(IReadOnlyList<StepResult>? steps)
    {
        StepResult? sustainable = null;
        foreach (var step in steps ?? [])
        {
            if (!step.WithinLimits)
            {
                break;
            }

            sustainable = step;
        }

        return sustainable;
    }

    public IdleResult? Idle { get; set; }

    public StormResult? Storm { get; set; }

    /// <summary>Set when the workload could not run to its end.</summary>
    public string? Failure { get; set; }
}

/// <summary>One rate step of a throughput workload.</summary>
public sealed class StepResult
{
    public double RatePerClient { get; set; }

    public int Clients { get; set; }

    public double Seconds { get; set; }

    /// <summary>Broadcasts actually sent in the measured window, per second.</summary>
    public double SentPerSecond { get; set; }

    /// <summary>Deliveries the sent broadcasts should cause (sent x recipients), per second: the offered load.</summary>
    public double ExpectedPerSecond { get; set; }

    /// <summary>Relayed messages received for broadcasts sent in the window, per second.</summary>
    public double DeliveredPerSecond { get; set; }

    public long Expected { get; set; }

    public long Delivered { get; set; }

    /// <summary>Expected minus delivered (never negative).</summary>
    public long Drops { get; set; }

    public double DeliveredRatio { get; set; }

    /// <summary>Sends the pacer skipped because the client's previous send had not completed.</summary>
    public long SendsSkipped { get; set; }

    public long Errors { get; set; }

    public LatencySummary Latency { get; set; } = new();

    public ProcessSample Server { get; set; } = new();

    public ProcessSample LoadGen { get; set; } = new();

    /// <summary>Clients split across cluster nodes: latency of the deliveries to a client on its sender's node.</summary>
    public LatencySummary? SameNode { get; set; }

    /// <summary>Clients split across cluster nodes: latency of the deliveries that crossed to another node.</summary>
    public LatencySummary? CrossNode { get; set; }

    /// <summary>With several server processes (cluster nodes, in node order): each one's sample; <see cref="Server"/> is their sum.</summary>
    public List<ProcessSample>? Nodes { get; set; }

    /// <summary>The Redis process, when sampled.</summary>
    public ProcessSample? Redis { get; set; }

    /// <summary>Raw-socket client: reads per second across all its sockets in the window.</summary>
    public double? ReadsPerSecond { get; set; }

    /// <summary>Raw-socket client: frames per read in the window (how much each large read carried).</summary>
    public double? FramesPerRead { get; set; }

    public bool WithinLimits { get; set; }
}

public sealed class LatencySummary
{
    public long Count { get; set; }

    public double P50Ms { get; set; }

    public double P90Ms { get; set; }

    public double P99Ms { get; set; }

    public double P999Ms { get; set; }

    public double MaxMs { get; set; }

    public double MeanMs { get; set; }
}

/// <summary>CPU and resident memory of a process over a window.</summary>
public sealed class ProcessSample
{
    /// <summary>Average CPU over the window, in percent of one core (200 = both cores of a 2-core machine).</summary>
    public double CpuPercent { get; set; }

    public double RssMiB { get; set; }

    public double MaxRssMiB { get; set; }

    /// <summary>Several processes together: CPU and memory added up.</summary>
    public static ProcessSample Sum(IEnumerable<ProcessSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var sum = new ProcessSample();
        foreach (var s in samples)
        {
            sum.CpuPercent = Math.Round(sum.CpuPercent + s.CpuPercent, 1);
            sum.RssMiB = Math.Round(sum.RssMiB + s.RssMiB, 1);
            sum.MaxRssMiB = Math.Round(sum.MaxRssMiB + s.MaxRssMiB, 1);
        }

        return sum;
    }
}

/// <summary>W3: idle connections.</summary>
public sealed class IdleResult
{
    public int Attempted { get; set; }

    public int Joined { get; set; }

    /// <summary>Joined connections still open and error-free at the end of the hold.</summary>
    public int Held { get; set; }

    public double HoldSeconds { get; set; }

    public double ConnectSeconds { get; set; }

    public double RssBeforeMiB { get; set; }

    public double RssAfterMiB { get; set; }

    public double BytesPerConnection { get; set; }

    public double LoadGenRssMiB { get; set; }

    public double ServerCpuPercentIdle { get; set; }

    public List<string> SourceAddresses { get; set; } = [];

    public List<string> FirstErrors { get; set; } = [];
}

/// <summary>W4: connect storm.</summary>
public sealed class StormResult
{
    public int Clients { get; set; }

    public int Concurrency { get; set; }

    public int Joined { get; set; }

    public int Failed { get; set; }

    public double Seconds { get; set; }

    public double JoinsPerSecond { get; set; }

    public LatencySummary JoinTime { get; set; } = new();

    public ProcessSample Server { get; set; } = new();

    public List<string> FirstErrors { get; set; } = [];
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ResultsDocument))]
[JsonSerializable(typeof(ConnectMessage))]
internal sealed partial class LoadGenJson : JsonSerializerContext;
