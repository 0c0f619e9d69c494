using System.Globalization;
using System.Text;

namespace Relay.LoadGen.Reporting;

/// <summary>
/// `report`: turns a results file into the Markdown between `&lt;!-- results:start --&gt;` and
/// `&lt;!-- results:end --&gt;` in docs/benchmarks.md, and the W1 chart's data files and gnuplot script.
/// </summary>
public static class Report
{
    public const string StartMarker = "<!-- results:start -->";
    public const string EndMarker = "<!-- results:end -->";
    private static readonly string[] PreferredOrder = ["relay", "signalr", "node-ws"];

    public static int Run(Dictionary<string, string> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var input = options.TryGetValue("in", out var i) ? i : throw new ArgumentException("--in is required");
        var document = ResultsDocument.Load(input);
        switch (options.GetValueOrDefault("section", "results"))
        {
            case "results":
                break;
            case "cluster":
                return ClusterReport.Run(document, options, Path.GetFileName(input));
            default:
                throw new ArgumentException("--section is results or cluster");
        }

        var png = options.GetValueOrDefault("png");
        var markdown = Markdown(document, png is null ? null : Path.GetFileName(png), Path.GetFileName(input));
        if (options.TryGetValue("md", out var md))
        {
            WriteSection(md, markdown);
            Console.WriteLine($"report: wrote the results section of {md}");
        }
        else
        {
            Console.WriteLine(markdown);
        }

        if (options.TryGetValue("plot-data", out var plotDirectory))
        {
            var script = WritePlotData(document, plotDirectory, png ?? Path.Combine(plotDirectory, "benchmarks-w1.png"));
            Console.WriteLine($"report: chart data and script in {script}");
        }

        return 0;
    }

    /// <summary>Replaces the text between the markers (or appends the markers and the text).</summary>
    public static void WriteSection(string path, string section) => WriteSection(path, section, StartMarker, EndMarker);

    /// <summary>Replaces the text between <paramref name="startMarker"/> and <paramref name="endMarker"/> (or appends the markers and the text).</summary>
    public static void WriteSection(string path, string section, string startMarker, string endMarker)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(startMarker);
        ArgumentNullException.ThrowIfNull(endMarker);
        var text = File.Exists(path) ? File.ReadAllText(path) : string.Empty;
        var start = text.IndexOf(startMarker, StringComparison.Ordinal);
        var end = text.IndexOf(endMarker, StringComparison.Ordinal);
        var block = startMarker + "\n" + section.TrimEnd() + "\n" + endMarker;
        text = start >= 0 && end > start
            ? string.Concat(text.AsSpan(0, start), block, text.AsSpan(end + endMarker.Length))
            : text.TrimEnd() + "\n\n" + block + "\n";
        File.WriteAllText(path, text);
    }

    public static string Markdown(ResultsDocument document, string? chartFile, string? sourceName)
    {
        ArgumentNullException.ThrowIfNull(document);
        var latest = Latest(document);
        var targets = latest.Select(r => r.Target).Distinct().OrderBy(Order).ToList();
        var sb = new StringBuilder();
        sb.AppendLine(RunLine(document, "server and load generator"));
        if (sourceName is not null)
        {
            sb.AppendLine(Inv($"Raw results: `bench/results/{sourceName}` (not committed)."));
        }

        sb.AppendLine();
        Summary(sb, latest, targets);
        if (chartFile is not null)
        {
            sb.AppendLine();
            sb.AppendLine(Inv($"![W1: delivered msgs/s and p99 latency against offered load]({chartFile})"));
        }

        foreach (var (id, title) in new[]
        {
            ("w1", "W1 fan-out (many small rooms)"),
            ("w2", "W2 one big room"),
        })
        {
            var runs = latest.Where(r => r.Workload == id).OrderBy(r => Order(r.Target)).ToList();
            if (runs.Count == 0)
            {
                continue;
            }

            sb.AppendLine();
            sb.AppendLine(Inv($"### {title}"));
            var p = runs[0].Parameters;
            sb.AppendLine();
            sb.AppendLine(Inv($"{StepParameters(p)}. *Offered* = broadcasts sent x recipients per second; a step marked ✓ kept p99 ≤ {p.GetValueOrDefault("p99LimitMs")} ms with ≥ 99.9 % delivered."));
            foreach (var run in runs)
            {
                sb.AppendLine();
                sb.AppendLine(RunHeading(run));
                sb.AppendLine();
                StepsTable(sb, run.Steps ?? [], redisColumn: false);
            }
        }

        var idle = latest.Where(r => r.Workload == "w3").OrderBy(r => Order(r.Target)).ToList();
        if (idle.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("### W3 idle connections");
            sb.AppendLine();
            sb.AppendLine(Inv($"Rooms of {idle[0].Parameters.GetValueOrDefault("clientsPerRoom")}, connections spread over source addresses {idle[0].Parameters.GetValueOrDefault("sources")}; memory per connection = (server RSS after the hold - RSS before connecting) / joined."));
            sb.AppendLine();
            sb.AppendLine("| target | attempted | joined | held | connect s | hold s | server RSS before MiB | after MiB | KiB per connection | idle server CPU % | failure |");
            sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
            foreach (var r in idle)
            {
                var w = r.Idle ?? new IdleResult();
                sb.AppendLine(Inv($"| {r.Target} | {w.Attempted:N0} | {w.Joined:N0} | {w.Held:N0} | {w.ConnectSeconds:0.0} | {w.HoldSeconds:0} | {w.RssBeforeMiB:0.0} | {w.RssAfterMiB:0.0} | {w.BytesPerConnection / 1024:0.0} | {w.ServerCpuPercentIdle:0.0} | {Escape(r.Failure ?? string.Empty)} |"));
            }
        }

        var storm = latest.Where(r => r.Workload == "w4").OrderBy(r => Order(r.Target)).ToList();
        if (storm.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("### W4 connect storm");
            sb.AppendLine();
            sb.AppendLine("Each client opens a WebSocket and joins a room (rooms of 50); join time is from the start of the connect to the join reply.");
            sb.AppendLine();
            sb.AppendLine("| target | clients | concurrency | joined | failed | seconds | joins/s | p50 ms | p99 ms | server CPU % |");
            sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var r in storm)
            {
                var s = r.Storm ?? new StormResult();
                sb.AppendLine(Inv($"| {r.Target} | {s.Clients:N0} | {s.Concurrency} | {s.Joined:N0} | {s.Failed} | {s.Seconds:0.00} | {s.JoinsPerSecond:N0} | {s.JoinTime.P50Ms:0.00} | {s.JoinTime.P99Ms:0.00} | {s.Server.CpuPercent:0} |"));
            }
        }

        return sb.ToString();
    }

    private static void Summary(StringBuilder sb, List<WorkloadResult> latest, List<string> targets)
    {
        var others = targets.Where(t => t != "relay").ToList();
        sb.AppendLine("| measure | " + string.Join(" | ", targets) + (targets.Contains("relay") ? string.Concat(others.Select(o => $" | relay / {o}")) : string.Empty) + " |");
        sb.AppendLine("| --- |" + string.Concat(targets.Select(_ => " ---: |")) + (targets.Contains("relay") ? string.Concat(others.Select(_ => " ---: |")) : string.Empty));

        void Row(string label, Func<WorkloadResult, double?> value, string format, bool ratios = true)
        {
            var values = targets.Select(t => latest.FirstOrDefault(r => r.Target == t && value(r) is not null) is { } r ? value(r) : null).ToList();
            if (values.All(v => v is null))
            {
                return;
            }

            var relay = targets.IndexOf("relay") is var ri && ri >= 0 ? values[ri] : null;
            var cells = values.Select(v => v is null ? "n/a" : v.Value.ToString(format, CultureInfo.InvariantCulture));
            var ratioCells = targets.Contains("relay") && !ratios
                ? others.Select(_ => "")
                : targets.Contains("relay")
                ? others.Select(o => values[targets.IndexOf(o)] is { } ov && ov != 0 && relay is { } rv ? (rv / ov).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "n/a")
                : [];
            sb.AppendLine($"| {label} | " + string.Join(" | ", cells.Concat(ratioCells)) + " |");
        }

        Row("W1 sustainable delivered msgs/s (higher is better)", r => r.Workload == "w1" && r.Steps is not null ? WorkloadResult.SustainableOf(r.Steps)?.DeliveredPerSecond ?? 0 : null, "N0");
        Row("W1 p99 ms at about half the sustainable rate (lower is better)", r => r.Workload == "w1" ? HalfRateStep(r)?.Latency.P99Ms : null, "0.00");
        Row("W1 p99 ms at each target's own sustainable rate", r => r.Workload == "w1" ? WorkloadResult.SustainableOf(r.Steps)?.Latency.P99Ms : null, "0.00", ratios: false);
        Row("W1 highest delivered msgs/s at any latency",  r => r.Workload == "w1" && r.Steps is { Count: > 0 } ? r.Steps.Max(s => s.DeliveredPerSecond) : null, "N0");
        Row("W2 sustainable delivered msgs/s (higher is better)", r => r.Workload == "w2" && r.Steps is not null ? WorkloadResult.SustainableOf(r.Steps)?.DeliveredPerSecond ?? 0 : null, "N0");
        Row("W3 server KiB per idle connection (lower is better)", r => r.Workload == "w3" && r.Idle is { Joined: > 0 } ? r.Idle.BytesPerConnection / 1024 : null, "0.0");
        Row("W3 connections held", r => r.Workload == "w3" ? r.Idle?.Held : null, "N0");
        Row("W4 joins/s (higher is better)", r => r.Workload == "w4" ? r.Storm?.JoinsPerSecond : null, "N0");
        Row("W4 join time p99 ms (lower is better)", r => r.Workload == "w4" ? r.Storm?.JoinTime.P99Ms : null, "0.00");
        sb.AppendLine();
        sb.AppendLine("A sustainable rate of 0 means that no step kept p99 ≤ 50 ms with ≥ 99.9 % delivered, not even the lowest rate. A ratio is relay's value over the other's, whichever way is better.");
    }

    /// <summary>The step whose delivered rate is nearest half the sustainable rate.</summary>
    public static StepResult? HalfRateStep(WorkloadResult run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var sustainable = WorkloadResult.SustainableOf(run.Steps);
        if (sustainable is null || run.Steps is null)
        {
            return null;
        }

        var half = sustainable.DeliveredPerSecond / 2;
        return run.Steps.Where(s => s.DeliveredPerSecond > 0).MinBy(s => Math.Abs(Math.Log(s.DeliveredPerSecond / half)));
    }

    /// <summary>Writes `w1-&lt;target&gt;.dat` (offered, delivered, p99 ms) per target and `w1.gp`; returns the script's path.</summary>
    public static string WritePlotData(ResultsDocument document, string directory, string png)
    {
        ArgumentNullException.ThrowIfNull(document);
        Directory.CreateDirectory(directory);
        var runs = Latest(document).Where(r => r.Workload == "w1" && r.Steps is { Count: > 0 }).OrderBy(r => Order(r.Target)).ToList();
        var plots = new List<(string Target, string File)>();
        foreach (var run in runs)
        {
            var file = Path.GetFullPath(Path.Combine(directory, $"w1-{run.Target}.dat"));
            var lines = new List<string> { "# offered_deliveries_per_s delivered_per_s p99_ms" };
            lines.AddRange(run.Steps!.Select(s => Inv($"{s.ExpectedPerSecond:0} {s.DeliveredPerSecond:0} {Math.Max(s.Latency.P99Ms, 0.01):0.###}")));
            File.WriteAllLines(file, lines);
            plots.Add((run.Target, file));
        }

        var script = Path.Combine(directory, "w1.gp");
        var throughput = string.Join(", ", plots.Select((p, i) => $"'{p.File}' using 1:2 with linespoints lw 2 pt {i + 5} title '{p.Target}'"));
        var latency = string.Join(", ", plots.Select((p, i) => $"'{p.File}' using 1:3 with linespoints lw 2 pt {i + 5} title '{p.Target}'"));
        File.WriteAllText(script, $$"""
            set terminal pngcairo size 1000,900 font "sans,11" noenhanced
            set output '{{Path.GetFullPath(png)}}'
            set multiplot layout 2,1 title "W1 fan-out: 100 rooms x 10 clients, 64-byte payloads (same 2-core machine)"
            set grid
            set key top left
            set format x "%.0s%c"
            set format y "%.0s%c"
            set xlabel "offered load (expected deliveries/s)"
            set ylabel "delivered msgs/s"
            plot {{(plots.Count == 0 ? "0 notitle" : throughput)}}, x with lines dt 2 lc rgb "gray" title 'offered = delivered'
            set logscale y
            set format y "%g"
            set ylabel "p99 latency (ms, log)"
            plot {{(plots.Count == 0 ? "1 notitle" : latency)}}, 50 with lines dt 2 lc rgb "red" title '50 ms limit'
            unset multiplot

            """);
        return script;
    }

    /// <summary>The first line of a section: when, where and how the results file was made.</summary>
    internal static string RunLine(ResultsDocument document, string onTheSameMachine)
    {
        var m = document.Machine;
        return Inv($"Run of {document.StartedAt:yyyy-MM-dd HH:mm} UTC, preset `{document.Preset}`, on {m.Cores} cores ({(m.Cpu.Length > 0 ? m.Cpu : "unknown CPU")}), {m.Os}, {m.Runtime}; {onTheSameMachine} on the same machine; 1-minute load average at the start {m.LoadAverage:0.0}{(m.LoadAverage > 1.5 ? " (**the machine was busy: treat these numbers as noisy**)" : string.Empty)}.");
    }

    /// <summary>A W1/W2 run's sizes and step timing, from its parameters.</summary>
    internal static string StepParameters(Dictionary<string, string> p) =>
        Inv($"{p.GetValueOrDefault("rooms")} room(s) x {p.GetValueOrDefault("clientsPerRoom")} clients, {p.GetValueOrDefault("payloadBytes")}-byte {p.GetValueOrDefault("mode")} payloads, {p.GetValueOrDefault("warmUpSeconds")} s warm-up + {p.GetValueOrDefault("durationSeconds")} s measured per step{(p.GetValueOrDefault("client") == "raw" ? ", raw-socket load-generator clients (`--client raw`)" : string.Empty)}");

    /// <summary>A run's name in bold, with its failure if any.</summary>
    internal static string RunHeading(WorkloadResult run) =>
        Inv($"**{run.Target}**{(run.Failure is null ? string.Empty : $" (failure: {Escape(run.Failure)})")}");

    /// <summary>One row per step of a W1/W2 run; <paramref name="redisColumn"/> adds the Redis process's CPU.</summary>
    internal static void StepsTable(StringBuilder sb, IEnumerable<StepResult> steps, bool redisColumn)
    {
        ArgumentNullException.ThrowIfNull(sb);
        ArgumentNullException.ThrowIfNull(steps);
        sb.AppendLine("| msgs/s per client | sent/s | offered/s | delivered/s | delivered | p50 ms | p99 ms | p99.9 ms | errors | drops | server CPU % | server RSS MiB |" + (redisColumn ? " Redis CPU % |" : string.Empty) + " loadgen CPU % | ok |");
        sb.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" + (redisColumn ? " ---: |" : string.Empty) + " ---: | :---: |");
        foreach (var s in steps)
        {
            var redisCell = redisColumn ? Inv($" {s.Redis?.CpuPercent ?? 0:0} |") : string.Empty;
            sb.AppendLine(Inv($"| {s.RatePerClient:0.##} | {s.SentPerSecond:N0} | {s.ExpectedPerSecond:N0} | {s.DeliveredPerSecond:N0} | {s.DeliveredRatio * 100:0.00} % | {s.Latency.P50Ms:0.00} | {s.Latency.P99Ms:0.00} | {s.Latency.P999Ms:0.00} | {s.Errors} | {s.Drops} | {s.Server.CpuPercent:0} | {s.Server.MaxRssMiB:0} |") + redisCell + Inv($" {s.LoadGen.CpuPercent:0} | {(s.WithinLimits ? "✓" : "✗")} |"));
        }
    }

    /// <summary>The last run of each (target, workload).</summary>
    internal static List<WorkloadResult> Latest(ResultsDocument document) =>
        [.. document.Runs.GroupBy(r => (r.Target, r.Workload)).Select(g => g.Last())];

    private static int Order(string target) => OrderIn(PreferredOrder, target);

    /// <summary>A target's place in <paramref name="preferred"/>; targets not listed come last.</summary>
    internal static int OrderIn(string[] preferred, string target) => Array.IndexOf(preferred, target) is var i && i >= 0 ? i : preferred.Length;

    internal static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");

    internal static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
