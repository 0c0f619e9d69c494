using System.Text;
using static Relay.LoadGen.Reporting.Report;

namespace Relay.LoadGen.Reporting;

/// <summary>
/// `report --section cluster`: the "W1 across two nodes (Redis)" subsection of docs/benchmarks.md, between
/// `&lt;!-- cluster:start --&gt;` and `&lt;!-- cluster:end --&gt;`, from a results file of `bench/run.sh --cluster`:
/// W1 against one in-memory node (`relay`), one Redis-mode node (`relay-redis`) and two Redis-mode nodes with
/// the clients split between them (`relay-cluster`), with the cluster's latency split into same-node and
/// cross-node deliveries.
/// </summary>
public static class ClusterReport
{
    public const string StartMarker = "<!-- cluster:start -->";
    public const string EndMarker = "<!-- cluster:end -->";
    private static readonly string[] PreferredOrder = ["relay", "relay-redis", "relay-cluster"];

    public static int Run(ResultsDocument document, Dictionary<string, string> options, string? sourceName)
    {
        ArgumentNullException.ThrowIfNull(options);
        var markdown = Markdown(document, sourceName);
        if (options.TryGetValue("md", out var md))
        {
            WriteSection(md, markdown, StartMarker, EndMarker);
            Console.WriteLine($"report: wrote the cluster section of {md}");
        }
        else
        {
            Console.WriteLine(markdown);
        }

        return 0;
    }

    public static string Markdown(ResultsDocument document, string? sourceName)
    {
        ArgumentNullException.ThrowIfNull(document);
        var runs = Latest(document).Where(r => r.Workload == "w1").OrderBy(r => Order(r.Target)).ToList();
        var sb = new StringBuilder();
        sb.AppendLine("### W1 across two nodes (Redis)");
        sb.AppendLine();
        sb.AppendLine(RunLine(document, "the Relay nodes, redis-server and the load generator"));
        var provenance = new List<string>();
        if (document.Command is not null)
        {
            provenance.Add(Inv($"Command: `{document.Command}`."));
        }

        if (sourceName is not null)
        {
            provenance.Add(Inv($"Raw results: `bench/results/{sourceName}` (not committed)."));
        }

        if (provenance.Count > 0)
        {
            sb.AppendLine(string.Join(" ", provenance));
        }

        if (runs.Count == 0)
        {
            sb.AppendLine();
            sb.AppendLine("No W1 run in the results file.");
            return sb.ToString();
        }

        var p = runs[0].Parameters;
        sb.AppendLine();
        sb.AppendLine(Inv($"W1 as above ({StepParameters(p)}, the same stepping and the same sustainable-rate rule), one server set-up after the other, each freshly started:"));
        sb.AppendLine();
        foreach (var run in runs)
        {
            sb.AppendLine(Describe(run));
        }

        sb.AppendLine();

        var targets = runs.Select(r => r.Target).ToList();
        sb.AppendLine("| measure | " + string.Join(" | ", targets) + " |");
        sb.AppendLine("| --- |" + string.Concat(targets.Select(_ => " ---: |")));
        void Row(string label, Func<WorkloadResult, double?> value, string format) =>
            sb.AppendLine($"| {label} | " + string.Join(" | ", runs.Select(r => value(r) is { } v ? v.ToString(format, System.Globalization.CultureInfo.InvariantCulture) : "n/a")) + " |");
        Row("sustainable delivered msgs/s (higher is better)", r => r.Steps is null ? null : WorkloadResult.SustainableOf(r.Steps)?.DeliveredPerSecond ?? 0, "N0");
        Row("p50 ms at about half the sustainable rate", r => HalfRateStep(r)?.Latency.P50Ms, "0.00");
        Row("p99 ms at about half the sustainable rate", r => HalfRateStep(r)?.Latency.P99Ms, "0.00");
        Row("p99 ms at the sustainable rate", r => WorkloadResult.SustainableOf(r.Steps)?.Latency.P99Ms, "0.00");
        Row("highest delivered msgs/s at any latency", r => r.Steps is { Count: > 0 } ? r.Steps.Max(s => s.DeliveredPerSecond) : null, "N0");
        Row("Redis CPU % at the sustainable rate", r => WorkloadResult.SustainableOf(r.Steps)?.Redis?.CpuPercent, "0");

        foreach (var run in runs.Where(r => r.Steps?.Any(s => s.CrossNode is not null) == true))
        {
            AddedLatency(sb, run);
        }

        foreach (var run in runs)
        {
            sb.AppendLine();
            sb.AppendLine(RunHeading(run));
            sb.AppendLine();
            if (run.Steps?.Any(s => s.CrossNode is not null) == true)
            {
                SplitTable(sb, run);
            }
            else
            {
                StepsTable(sb, run.Steps ?? [], redisColumn: run.Steps?.Any(s => s.Redis is not null) == true);
            }
        }

        return sb.ToString();
    }

    private static string Describe(WorkloadResult run)
    {
        switch (run.Target)
        {
            case "relay":
                return "- **relay**: one node with in-memory rooms (the default), for reference;";
            case "relay-redis":
                return "- **relay-redis**: one node with `--Relay:Backplane=Redis`: room state lives in Redis and every broadcast is also published once to the room's channel (the node's own copy comes back and is ignored);";
        }

        if (!int.TryParse(run.Parameters.GetValueOrDefault("nodes"), out var nodes) || nodes < 2)
        {
            return Inv($"- **{run.Target}**;");
        }

        var perRoom = int.TryParse(run.Parameters.GetValueOrDefault("clientsPerRoom"), out var c) ? c : 0;
        var names = string.Join(", ", Enumerable.Range(0, nodes).Select(Targets.ClusterTarget.NodeName));
        var reach = perRoom > 0 && perRoom % nodes == 0
            ? Inv($" ({perRoom / nodes} per node in a room of {perRoom}), so a broadcast reaches {perRoom / nodes - 1} receiver(s) on its sender's node and {perRoom - perRoom / nodes} on the other node(s)")
            : string.Empty;
        return Inv($"- **{run.Target}**: {nodes} Redis-mode nodes ({names}) on one Redis; rooms are created on node A and the clients of each room alternate between the nodes{reach}. *Server CPU* is all nodes together.");
    }

    /// <summary>Cross-node minus same-node latency of one split run at its lowest rate, half its sustainable rate and its sustainable rate.</summary>
    private static void AddedLatency(StringBuilder sb, WorkloadResult run)
    {
        var steps = run.Steps!.Where(s => s.CrossNode is not null).ToList();
        var picks = new List<(string Label, StepResult Step)> { ("lowest rate", steps[0]) };
        if (HalfRateStep(run) is { CrossNode: not null } half)
        {
            picks.Add(("about half the sustainable rate", half));
        }

        if (WorkloadResult.SustainableOf(run.Steps) is { CrossNode: not null } sustainable)
        {
            picks.Add(("the sustainable rate", sustainable));
        }

        sb.AppendLine();
        sb.AppendLine(Inv($"**Added cross-node latency** ({run.Target}): per delivery, the load generator knows the sender's node (written into the payload) and the receiver's, so each latency is also recorded as same-node or cross-node; the added latency is cross-node minus same-node, from the same steps of the same run."));
        sb.AppendLine();
        sb.AppendLine("| at | msgs/s per client | delivered/s | same-node p50 ms | cross-node p50 ms | added p50 ms | same-node p99 ms | cross-node p99 ms | added p99 ms |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (label, s) in picks.DistinctBy(x => x.Step))
        {
            var same = s.SameNode ?? new LatencySummary();
            var cross = s.CrossNode!;
            sb.AppendLine(Inv($"| {label} | {s.RatePerClient:0.##} | {s.DeliveredPerSecond:N0} | {same.P50Ms:0.00} | {cross.P50Ms:0.00} | {cross.P50Ms - same.P50Ms:+0.00;-0.00;0.00} | {same.P99Ms:0.00} | {cross.P99Ms:0.00} | {cross.P99Ms - same.P99Ms:+0.00;-0.00;0.00} |"));
        }
    }

    private static void SplitTable(StringBuilder sb, WorkloadResult run)
    {
        var nodes = run.Steps!.Max(s => s.Nodes?.Count ?? 0);
        var redis = run.Steps!.Any(s => s.Redis is not null);
        var nodeHeaders = string.Concat(Enumerable.Range(0, nodes).Select(n => $" node {Targets.ClusterTarget.NodeName(n)} CPU % |"));
        sb.AppendLine("| msgs/s per client | sent/s | offered/s | delivered/s | delivered | p50 ms | p99 ms | same-node p50 ms | same-node p99 ms | cross-node p50 ms | cross-node p99 ms | added p50 / p99 ms | errors | drops |" + nodeHeaders + (redis ? " Redis CPU % |" : string.Empty) + " loadgen CPU % | ok |");
        sb.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" + string.Concat(Enumerable.Repeat(" ---: |", nodes + (redis ? 1 : 0))) + " ---: | :---: |");
        foreach (var s in run.Steps!)
        {
            var same = s.SameNode ?? new LatencySummary();
            var cross = s.CrossNode ?? new LatencySummary();
            var nodeCells = string.Concat(Enumerable.Range(0, nodes).Select(n => s.Nodes is { } ns && n < ns.Count ? Inv($" {ns[n].CpuPercent:0} |") : " |"));
            var redisCell = redis ? Inv($" {s.Redis?.CpuPercent ?? 0:0} |") : string.Empty;
            sb.AppendLine(Inv($"| {s.RatePerClient:0.##} | {s.SentPerSecond:N0} | {s.ExpectedPerSecond:N0} | {s.DeliveredPerSecond:N0} | {s.DeliveredRatio * 100:0.00} % | {s.Latency.P50Ms:0.00} | {s.Latency.P99Ms:0.00} | {same.P50Ms:0.00} | {same.P99Ms:0.00} | {cross.P50Ms:0.00} | {cross.P99Ms:0.00} | {cross.P50Ms - same.P50Ms:+0.00;-0.00;0.00} / {cross.P99Ms - same.P99Ms:+0.00;-0.00;0.00} | {s.Errors} | {s.Drops} |") + nodeCells + redisCell + Inv($" {s.LoadGen.CpuPercent:0} | {(s.WithinLimits ? "✓" : "✗")} |"));
        }
    }

    private static int Order(string target) => OrderIn(PreferredOrder, target);
}
