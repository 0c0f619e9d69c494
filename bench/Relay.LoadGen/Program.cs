using System.Globalization;
using System.Net;
using Relay.LoadGen.Reporting;
using Relay.LoadGen.Targets;
using Relay.LoadGen.Workloads;

namespace Relay.LoadGen;

/// <summary>
/// `Relay.LoadGen run ...` drives one target with one or more workloads and appends the results to a JSON file;
/// `Relay.LoadGen report ...` turns a results file into docs/benchmarks.md's tables and the chart's data.
/// </summary>
internal static class Program
{
    private const string Usage = """
        Relay.LoadGen run --target relay|signalr|node-ws --url http://127.0.0.1:PORT[,http://127.0.0.1:PORT2] --workload w1[,w2,w3,w4]
            [--url2 http://127.0.0.1:PORT2] [--label NAME] [--preset full|quick|smoke] [--server-pid PID[,PID2]] [--redis-pid PID]
            [--out results.json] [--api-key KEY] [--client websocket|raw] [--raw-loops N] [--pacers N]
            [--rooms N] [--clients N (per room)] [--rates 1,2,5,...] [--payload BYTES] [--mode text|binary]
            [--duration S] [--warmup S] [--p99-limit-ms MS] [--no-stop]
            [--connections N] [--concurrency N] [--hold S] [--sources 127.0.0.2,127.0.0.3|none]
        Relay.LoadGen report --in results.json [--md docs/benchmarks.md] [--plot-data DIR] [--png docs/benchmarks-w1.png]
        Relay.LoadGen report --section cluster --in cluster.json [--md docs/benchmarks.md]
        Relay.LoadGen sink [--port 5999] [--flush-ms 5] [--no-relay]
                                                             a trivial fan-out server, to measure the generator's own ceiling
        Relay.LoadGen drain [--port 5998]                    reads and discards whatever is written to it
        Relay.LoadGen writeloop [--port 5998] [--sockets 1000] [--payload 64] [--batches 1,2,4,8,16,32] [--seconds 3]
                                                             one-write-per-recipient-batch limit: writes frames to a drain

        Several URLs (a comma-separated --url, or --url2) are nodes of one cluster: rooms are created on the first,
        client i of a room joins through node i mod N, and W1/W2 steps also report same-node and cross-node latency.
        --label names the target in the results (default: the target, or <target>-cluster for several nodes).
        --client raw: Relay-protocol clients are raw sockets (hand-made upgrade, pre-masked frames, frames parsed in
        place from 64 KiB reads) served by --raw-loops I/O threads (default 1), instead of one ClientWebSocket each;
        its W1/W2 pacers (one per 50 clients, at most 4; --pacers N) tick on one thread of its own instead of thread-pool
        timers.
        """;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        try
        {
            var options = ParseOptions(args.AsSpan(1));
            return args[0] switch
            {
                "run" => await RunAsync(options, cancel.Token),
                "report" => Report.Run(options),
                "sink" => Tools.FanOutSink.Run(options),
                "drain" => Tools.WriteLoop.RunDrain(options),
                "writeloop" => Tools.WriteLoop.Run(options),
                _ => throw new ArgumentException($"unknown command '{args[0]}'"),
            };
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message + Environment.NewLine + Usage);
            return 2;
        }
    }

    private static async Task<int> RunAsync(Dictionary<string, string> o, CancellationToken cancellationToken)
    {
        var targetName = Required(o, "target");
        var urls = Required(o, "url").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(o.TryGetValue("url2", out var url2) ? [url2] : [])
            .Select(u => new Uri(u))
            .ToList();
        var url = string.Join(", ", urls);
        var preset = o.GetValueOrDefault("preset", "full");
        var outPath = o.GetValueOrDefault("out");
        var workloads = Required(o, "workload").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var document = outPath is not null && File.Exists(outPath) ? ResultsDocument.Load(outPath) : new ResultsDocument { Preset = preset };
        var failed = false;

        var apiKey = o.GetValueOrDefault("api-key");
        var client = o.GetValueOrDefault("client", TargetFactory.WebSocketClient);
        var rawLoops = o.TryGetValue("raw-loops", out var loops) ? int.Parse(loops, CultureInfo.InvariantCulture) : 1;
        ITarget Create(Uri u) => TargetFactory.Create(targetName, u, apiKey, client, rawLoops);
        await using var target = urls.Count == 1 && !o.ContainsKey("label")
            ? Create(urls[0])
            : new ClusterTarget(o.GetValueOrDefault("label", targetName + "-cluster"), [.. urls.Select(Create)]);
        foreach (var id in workloads)
        {
            var options = Apply(WorkloadOptions.For(id, preset), o);
            Console.WriteLine($"== {target.Name} {id.ToUpperInvariant()} ({preset}, {client} client) against {url}");
            WorkloadResult result;
            try
            {
                result = await Workload.Create(id).RunAsync(target, options, Console.Out, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Console.WriteLine($"[{target.Name} {id}] FAILED: {ex.GetType().Name}: {ex.Message}");
                result = new WorkloadResult { Target = target.Name, Workload = id, Parameters = options.Describe(id), Failure = $"{ex.GetType().Name}: {ex.Message}" };
            }

            result.Parameters["client"] = client;
            failed |= result.Failure is not null;
            document.Runs.Add(result);
            if (outPath is not null)
            {
                document.Save(outPath);
            }
        }

        return failed ? 1 : 0;
    }

    private static WorkloadOptions Apply(WorkloadOptions d, Dictionary<string, string> o)
    {
        static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);
        static int I(string s) => int.Parse(s, CultureInfo.InvariantCulture);
        var sources = o.GetValueOrDefault("sources");
        var raw = o.GetValueOrDefault("client") == TargetFactory.RawClient;
        int[]? serverPids = o.TryGetValue("server-pid", out var pids) ? [.. pids.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(I)] : null;
        return d with
        {
            Rooms = o.TryGetValue("rooms", out var rooms) ? I(rooms) : d.Rooms,
            ClientsPerRoom = o.TryGetValue("clients", out var clients) ? I(clients) : d.ClientsPerRoom,
            Rates = o.TryGetValue("rates", out var rates) ? [.. rates.Split(',').Select(D)] : d.Rates,
            PayloadBytes = o.TryGetValue("payload", out var payload) ? I(payload) : d.PayloadBytes,
            Binary = o.TryGetValue("mode", out var mode) ? mode switch
            {
                "binary" => true,
                "text" => false,
                _ => throw new ArgumentException("--mode is text or binary"),
            } : d.Binary,
            Duration = o.TryGetValue("duration", out var duration) ? TimeSpan.FromSeconds(D(duration)) : d.Duration,
            WarmUp = o.TryGetValue("warmup", out var warmUp) ? TimeSpan.FromSeconds(D(warmUp)) : d.WarmUp,
            P99LimitMs = o.TryGetValue("p99-limit-ms", out var limit) ? D(limit) : d.P99LimitMs,
            StopAtLimit = !o.ContainsKey("no-stop") && d.StopAtLimit,
            Connections = o.TryGetValue("connections", out var connections) ? I(connections) : d.Connections,
            Concurrency = o.TryGetValue("concurrency", out var concurrency) ? I(concurrency) : d.Concurrency,
            Hold = o.TryGetValue("hold", out var hold) ? TimeSpan.FromSeconds(D(hold)) : d.Hold,
            SourceAddresses = sources is null ? d.SourceAddresses
                : sources == "none" ? []
                : [.. sources.Split(',').Select(IPAddress.Parse)],
            ServerPid = serverPids is null ? d.ServerPid : serverPids[0],
            OtherServerPids = serverPids is null ? d.OtherServerPids : serverPids[1..],
            RedisPid = o.TryGetValue("redis-pid", out var redisPid) ? I(redisPid) : d.RedisPid,
            Pacers = o.TryGetValue("pacers", out var pacers) ? I(pacers) : d.Pacers,
            DedicatedPacers = raw || d.DedicatedPacers,
        };
    }

    private static Dictionary<string, string> ParseOptions(ReadOnlySpan<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            }

            var name = args[i][2..];
            var flag = name is "no-stop" or "no-relay";
            options[name] = flag ? "true" : i + 1 < args.Length ? args[++i] : throw new ArgumentException($"--{name} needs a value");
        }

        return options;
    }

    private static string Required(Dictionary<string, string> o, string name) =>
        o.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required");
}
