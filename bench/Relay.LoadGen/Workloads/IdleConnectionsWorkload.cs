using System.Collections.Concurrent;
using System.Diagnostics;
using Relay.LoadGen.Measurement;
using Relay.LoadGen.Targets;

namespace Relay.LoadGen.Workloads;

/// <summary>
/// W3: opens many idle connections (20,000 by default, in rooms of 50, spread over source addresses
/// 127.0.0.2..9), holds them, and reports the server's resident memory per connection and how many stayed open.
/// </summary>
public sealed class IdleConnectionsWorkload : IWorkload
{
    private const int WarmUpConnections = 100;

    public string Id => "w3";

    public async Task<WorkloadResult> RunAsync(ITarget target, WorkloadOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var started = Stopwatch.GetTimestamp();
        var result = new WorkloadResult { Target = target.Name, Workload = Id, Parameters = options.Describe(Id) };
        var idle = new IdleResult { Attempted = options.Connections, HoldSeconds = options.Hold.TotalSeconds, SourceAddresses = [.. options.SourceAddresses.Select(a => a.ToString())] };
        result.Idle = idle;
        var perRoom = options.ClientsPerRoom;
        var rooms = await Clients.CreateRoomsForAsync(target, options.Connections, perRoom, cancellationToken);

        // Warm-up: exercise the connect path once so JIT and pools are not counted as per-connection memory.
        var warmRooms = await Clients.CreateRoomsForAsync(target, WarmUpConnections, perRoom, cancellationToken);
        var errors = new ConcurrentQueue<string>();
        var warm = await Clients.ConnectAsync(target, warmRooms, WarmUpConnections, perRoom, options.SourceAddresses, options.Concurrency, Clients.Ignore, errors, null, cancellationToken);
        await Clients.DisposeAllAsync(warm);
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        errors.Clear();

        var before = ProcessSampler.RssBytes(options.ServerPid);
        var connectStarted = Stopwatch.GetTimestamp();
        var clients = await Clients.ConnectAsync(target, rooms, options.Connections, perRoom, options.SourceAddresses, options.Concurrency, Clients.Ignore, errors, null, cancellationToken);
        try
        {
            idle.ConnectSeconds = Math.Round(Stopwatch.GetElapsedTime(connectStarted).TotalSeconds, 2);
            idle.Joined = clients.Count(c => c is not null);
            log.WriteLine($"[{target.Name} w3] {idle.Joined}/{options.Connections} joined in {idle.ConnectSeconds} s; holding {options.Hold.TotalSeconds} s");

            var sampler = new ProcessSampler(options.ServerPid);
            sampler.Start();
            await Task.Delay(options.Hold, cancellationToken);
            var sample = await sampler.StopAsync();
            var after = ProcessSampler.RssBytes(options.ServerPid);

            idle.Held = clients.Count(c => c is not null && c.Errors == 0);
            idle.RssBeforeMiB = Math.Round(before / 1048576.0, 1);
            idle.RssAfterMiB = Math.Round(after / 1048576.0, 1);
            idle.BytesPerConnection = idle.Joined == 0 || options.ServerPid is null ? 0 : Math.Round((after - before) / (double)idle.Joined);
            idle.ServerCpuPercentIdle = sample.CpuPercent;
            idle.LoadGenRssMiB = Math.Round(ProcessSampler.RssBytes(Environment.ProcessId) / 1048576.0, 1);
            idle.FirstErrors = [.. errors.Take(5)];
            if (idle.Joined < options.Connections)
            {
                result.Failure = $"{options.Connections - idle.Joined} connections failed: {errors.FirstOrDefault()}";
            }

            log.WriteLine(
                $"[{target.Name} w3] held {idle.Held}/{idle.Joined}; server RSS {idle.RssBeforeMiB} -> {idle.RssAfterMiB} MiB = {idle.BytesPerConnection / 1024:F1} KiB per connection; idle server CPU {idle.ServerCpuPercentIdle}%");
            return result;
        }
        finally
        {
            await Clients.DisposeAllAsync(clients);
            result.Seconds = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1);
        }
    }
}
