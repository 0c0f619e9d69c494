using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;
using Relay.LoadGen.Measurement;
using Relay.LoadGen.Targets;

namespace Relay.LoadGen.Workloads;

/// <summary>W4: N clients connect and join as fast as possible with bounded concurrency: joins per second and join time.</summary>
public sealed class ConnectStormWorkload : IWorkload
{
    public string Id => "w4";

    public async Task<WorkloadResult> RunAsync(ITarget target, WorkloadOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var started = Stopwatch.GetTimestamp();
        var result = new WorkloadResult { Target = target.Name, Workload = Id, Parameters = options.Describe(Id) };
        var perRoom = options.ClientsPerRoom;
        var rooms = await Clients.CreateRoomsForAsync(target, options.Connections, perRoom, cancellationToken);
        var errors = new ConcurrentQueue<string>();
        var joinMicros = new long[options.Connections];

        var sampler = new ProcessSampler(options.ServerPid);
        sampler.Start();
        var stormStarted = Stopwatch.GetTimestamp();
        var clients = await Clients.ConnectAsync(target, rooms, options.Connections, perRoom, options.SourceAddresses, options.Concurrency, Clients.Ignore, errors, joinMicros, cancellationToken);
        var seconds = Stopwatch.GetElapsedTime(stormStarted).TotalSeconds;
        var server = await sampler.StopAsync();
        try
        {
            var histogram = new LongHistogram(LatencyRecorder.HighestMicros, 3);
            var joined = 0;
            for (var i = 0; i < clients.Length; i++)
            {
                if (clients[i] is not null)
                {
                    joined++;
                    histogram.RecordValue(Math.Clamp(joinMicros[i], 0, LatencyRecorder.HighestMicros));
                }
            }

            result.Storm = new StormResult
            {
                Clients = options.Connections,
                Concurrency = options.Concurrency,
                Joined = joined,
                Failed = options.Connections - joined,
                Seconds = Math.Round(seconds, 3),
                JoinsPerSecond = Math.Round(joined / seconds, 1),
                JoinTime = LatencyRecorder.Summarize(histogram),
                Server = server,
                FirstErrors = [.. errors.Take(5)],
            };
            if (joined < options.Connections)
            {
                result.Failure = $"{options.Connections - joined} joins failed: {errors.FirstOrDefault()}";
            }

            log.WriteLine(
                $"[{target.Name} w4] {joined}/{options.Connections} joined in {seconds:F2} s = {result.Storm.JoinsPerSecond:N0} joins/s; join time p50 {result.Storm.JoinTime.P50Ms} ms, p99 {result.Storm.JoinTime.P99Ms} ms; server CPU {server.CpuPercent}%");
            return result;
        }
        finally
        {
            await Clients.DisposeAllAsync(clients);
            result.Seconds = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1);
        }
    }
}
