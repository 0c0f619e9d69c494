using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Relay.LoadGen.Measurement;
using Relay.LoadGen.Targets;

namespace Relay.LoadGen.Workloads;

/// <summary>
/// W1 and W2: connects rooms x clients, then for each per-client rate runs a warm-up and a measured window.
/// A few pacer tasks (each owning a share of the clients) wake every <see cref="Tick"/> and send the number of
/// broadcasts that are due, round robin over their clients; a client whose previous send has not completed
/// is skipped (counted), so no slow socket ever holds up the run. Only messages sent inside the window are
/// counted and timed; after the window the runner waits for them to drain.
/// Against a <see cref="ClusterTarget"/> with several nodes, client i joins through node i mod N, every payload
/// carries its sender's node, and each step also reports same-node and cross-node latency.
/// </summary>
public static class ThroughputRunner
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan DrainQuiet = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan DrainMax = TimeSpan.FromSeconds(5);

    public static async Task<WorkloadResult> RunAsync(string id, ITarget target, WorkloadOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var result = new WorkloadResult { Target = target.Name, Workload = id, Parameters = options.Describe(id), Steps = [] };
        var started = Stopwatch.GetTimestamp();
        var total = options.Rooms * options.ClientsPerRoom;
        var router = new Router();
        var cluster = target is ClusterTarget { IsSplit: true } c ? c : null;
        if (cluster is not null)
        {
            result.Parameters["nodes"] = cluster.Nodes.Count.ToString(CultureInfo.InvariantCulture);
            result.Parameters["split"] = "rooms created on node A; client i of a room joins through node i mod nodes";
        }

        var rooms = await Clients.CreateRoomsAsync(target, options.Rooms, options.ClientsPerRoom, cancellationToken);
        var errors = new ConcurrentQueue<string>();
        var clients = await Clients.ConnectAsync(
            target, rooms, total, options.ClientsPerRoom, options.SourceAddresses, options.Concurrency,
            i => router.For(cluster?.NodeOf(i) ?? -1), errors, null, cancellationToken);
        try
        {
            var joined = clients.Count(c => c is not null);
            log.WriteLine($"[{target.Name} {id}] {joined}/{total} clients joined {options.Rooms} room(s) in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
            if (joined < total)
            {
                result.Failure = $"{total - joined} of {total} clients could not join: {errors.FirstOrDefault()}";
                if (joined == 0)
                {
                    return result;
                }
            }

            var slots = BuildSlots(clients, options, cluster);
            var counters = CountersOf(target);

            // Priming, not measured: JIT, tiering and pools of both sides warm up at the first rate.
            var prime = options.Prime ?? TimeSpan.FromSeconds(Math.Max(1, options.WarmUp.TotalSeconds * 2));
            if (prime > TimeSpan.Zero)
            {
                await RunStepAsync(slots, options.Rates[0], options with { WarmUp = TimeSpan.Zero, Duration = prime, ServerPid = null, OtherServerPids = [], RedisPid = null }, router, cluster is not null, counters, cancellationToken);
                log.WriteLine($"[{target.Name} {id}] primed for {prime.TotalSeconds} s at {options.Rates[0]} msgs/s per client");
            }

            log.WriteLine(StepHeader);
            StepResult? best = null;
            var overLimit = 0;
            foreach (var rate in options.Rates)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var step = await RunStepAsync(slots, rate, options, router, cluster is not null, counters, cancellationToken);
                result.Steps.Add(step);
                log.WriteLine(FormatStep(step));

                overLimit = step.Latency.P99Ms > options.P99LimitMs ? overLimit + 1 : 0;
                if (options.StopAtLimit && ShouldStop(step, best, overLimit, options, out var why))
                {
                    log.WriteLine($"[{target.Name} {id}] stop: {why}");
                    break;
                }

                best = best is null || step.DeliveredPerSecond > best.DeliveredPerSecond ? step : best;
            }

            result.Sustainable = WorkloadResult.SustainableOf(result.Steps);
            log.WriteLine(result.Sustainable is null
                ? $"[{target.Name} {id}] no step met p99 <= {options.P99LimitMs} ms with >= {options.MinDeliveredRatio:P1} delivered"
                : $"[{target.Name} {id}] sustainable: {result.Sustainable.DeliveredPerSecond:N0} delivered msgs/s (p99 {result.Sustainable.Latency.P99Ms} ms at {result.Sustainable.RatePerClient} msgs/s per client)");
            return result;
        }
        finally
        {
            await Clients.DisposeAllAsync(clients);
            result.Seconds = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1);
        }
    }

    public static string StepHeader =>
        $"{"rate/cl",8} {"sent/s",10} {"offered/s",11} {"delivered/s",12} {"deliv%",7} {"p50 ms",8} {"p99 ms",8} {"p99.9 ms",9} {"errors",6} {"drops",8} {"skipped",8} {"srv cpu%",8} {"srv MiB",8} {"gen cpu%",8}";

    public static string FormatStep(StepResult s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{s.RatePerClient,8:0.##} {s.SentPerSecond,10:N0} {s.ExpectedPerSecond,11:N0} {s.DeliveredPerSecond,12:N0} {s.DeliveredRatio * 100,7:0.00} {s.Latency.P50Ms,8:0.00} {s.Latency.P99Ms,8:0.00} {s.Latency.P999Ms,9:0.00} {s.Errors,6} {s.Drops,8} {s.SendsSkipped,8} {s.Server.CpuPercent,8:0} {s.Server.MaxRssMiB,8:0} {s.LoadGen.CpuPercent,8:0}{(s.WithinLimits ? string.Empty : "  *")}{Reads(s)}{Split(s)}");
    }

    /// <summary>The raw-socket client's reads (empty for other clients).</summary>
    private static string Reads(StepResult s) => s.FramesPerRead is { } perRead
        ? string.Create(CultureInfo.InvariantCulture, $"  | {s.ReadsPerSecond:N0} reads/s, {perRead:0.0} frames/read")
        : string.Empty;

    /// <summary>Same-node and cross-node latency of a split step (empty otherwise).</summary>
    private static string Split(StepResult s) => s.SameNode is { } same && s.CrossNode is { } cross
        ? string.Create(
            CultureInfo.InvariantCulture,
            $"  | same-node p50/p99 {same.P50Ms:0.00}/{same.P99Ms:0.00} ms, cross-node {cross.P50Ms:0.00}/{cross.P99Ms:0.00} ms ({cross.P50Ms - same.P50Ms:+0.00;-0.00;0.00}/{cross.P99Ms - same.P99Ms:+0.00;-0.00;0.00}){(s.Redis is { } r ? $", redis cpu {r.CpuPercent:0}%" : string.Empty)}")
        : string.Empty;

    /// <summary>
    /// Stop once p99 is over the limit for two steps in a row (or far over it once: one outlier step, e.g. a
    /// GC or a scheduler hiccup on a shared machine, does not end the series), most messages are lost, or the
    /// delivered rate stops growing.
    /// </summary>
    private static bool ShouldStop(StepResult step, StepResult? best, int overLimit, WorkloadOptions options, out string why)
    {
        if (overLimit >= 2 || step.Latency.P99Ms > options.P99LimitMs * 10)
        {
            why = $"p99 {step.Latency.P99Ms} ms > {options.P99LimitMs} ms";
            return true;
        }

        if (step.DeliveredRatio < 0.9)
        {
            why = $"only {step.DeliveredRatio:P1} delivered";
            return true;
        }

        if (best is not null && step.DeliveredPerSecond < best.DeliveredPerSecond * 1.05)
        {
            why = $"delivered rate stopped growing ({step.DeliveredPerSecond:N0}/s after {best.DeliveredPerSecond:N0}/s)";
            return true;
        }

        why = string.Empty;
        return false;
    }

    private static Slot[] BuildSlots(IBenchClient?[] clients, WorkloadOptions options, ClusterTarget? cluster)
    {
        var slots = new List<Slot>();
        for (var room = 0; room < options.Rooms; room++)
        {
            var members = Enumerable.Range(room * options.ClientsPerRoom, options.ClientsPerRoom).Where(i => clients[i] is not null).ToList();
            foreach (var i in members)
            {
                var tag = cluster is null ? Payloads.NoTag : Payloads.TagOf(cluster.NodeOf(i));
                slots.Add(new Slot(clients[i]!, Payloads.Create(options.PayloadBytes, options.Binary), members.Count - 1, tag));
            }
        }

        return [.. slots];
    }

    private static async Task<StepResult> RunStepAsync(Slot[] slots, double rate, WorkloadOptions options, Router router, bool split, IReceiveCounters? counters, CancellationToken cancellationToken)
    {
        using var recorder = new LatencyRecorder(options.Binary);
        var frequency = (double)Stopwatch.Frequency;
        var begin = Stopwatch.GetTimestamp() + (long)(0.05 * frequency);
        var windowStart = begin + (long)(options.WarmUp.TotalSeconds * frequency);
        var windowEnd = windowStart + (long)(options.Duration.TotalSeconds * frequency);
        recorder.SetWindow(windowStart, windowEnd);
        router.Current = recorder;
        var errorsBefore = slots.Sum(s => (long)s.Client.Errors);

        var pacerCount = options.Pacers is { } pacersWanted ? Math.Clamp(pacersWanted, 1, Math.Max(1, slots.Length)) : Math.Clamp(slots.Length / 50, 1, 4);
        var pacers = Enumerable.Range(0, pacerCount)
            .Select(p => new Pacer([.. slots.Where((_, i) => i % pacerCount == p)], options.Binary))
            .ToArray();
        var running = options.DedicatedPacers
            ? [Task.Factory.StartNew(() => Pacer.RunAll(pacers, rate, begin, windowStart, windowEnd, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)]
            : pacers.Select(p => Task.Run(() => p.RunAsync(rate, begin, windowStart, windowEnd, cancellationToken), cancellationToken)).ToArray();

        var servers = new[] { options.ServerPid }.Concat(options.OtherServerPids.Select(p => (int?)p)).Select(p => new ProcessSampler(p)).ToArray();
        var redis = options.RedisPid is null ? null : new ProcessSampler(options.RedisPid);
        var self = ProcessSampler.Self();
        await DelayUntil(windowStart, cancellationToken);
        foreach (var sampler in servers)
        {
            sampler.Start();
        }

        redis?.Start();
        self.Start();
        var readsBefore = counters?.ReceiveCounters;
        await DelayUntil(windowEnd, cancellationToken);
        var readsInWindow = counters is null ? default : Subtract(counters.ReceiveCounters, readsBefore!.Value);
        var serverSamples = new List<ProcessSample>();
        foreach (var sampler in servers)
        {
            serverSamples.Add(await sampler.StopAsync());
        }

        var redisSample = redis is null ? null : await redis.StopAsync();
        var selfSample = await self.StopAsync();
        await Task.WhenAll(running);

        long sent = 0, expected = 0, skipped = 0, sendErrors = 0;
        foreach (var p in pacers)
        {
            sent += p.SentInWindow;
            expected += p.ExpectedInWindow;
            skipped += p.SkippedInWindow;
            sendErrors += p.SendErrors;
        }

        // Drain: wait until everything sent in the window arrived, or arrivals stop for a while.
        var drainStarted = Stopwatch.GetTimestamp();
        var last = -1L;
        var lastChange = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(drainStarted) < DrainMax)
        {
            var count = recorder.Count();
            if (count >= expected)
            {
                break;
            }

            if (count != last)
            {
                last = count;
                lastChange = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(lastChange) > DrainQuiet)
            {
                break;
            }

            await Task.Delay(50, cancellationToken);
        }

        recorder.SetWindow(long.MaxValue, long.MinValue);
        await Task.Delay(20, cancellationToken);
        var pending = slots.Select(s => s.Pending).OfType<Task>().ToArray();
        if (pending.Length > 0)
        {
            try
            {
                await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
            {
                // A failed or stuck send is counted when its client is next used.
            }
        }

        var histogram = recorder.Merge();
        var seconds = options.Duration.TotalSeconds;
        var delivered = histogram.TotalCount;
        var errors = slots.Sum(s => (long)s.Client.Errors) - errorsBefore + sendErrors;
        var step = new StepResult
        {
            RatePerClient = rate,
            Clients = slots.Length,
            Seconds = seconds,
            SentPerSecond = Math.Round(sent / seconds, 1),
            ExpectedPerSecond = Math.Round(expected / seconds, 1),
            DeliveredPerSecond = Math.Round(delivered / seconds, 1),
            Expected = expected,
            Delivered = delivered,
            Drops = Math.Max(0, expected - delivered),
            DeliveredRatio = expected == 0 ? 0 : Math.Round((double)delivered / expected, 5),
            SendsSkipped = skipped,
            Errors = errors,
            Latency = LatencyRecorder.Summarize(histogram),
            Server = serverSamples.Count == 1 ? serverSamples[0] : ProcessSample.Sum(serverSamples),
            Nodes = serverSamples.Count > 1 ? serverSamples : null,
            Redis = redisSample,
            LoadGen = selfSample,
            SameNode = split ? LatencyRecorder.Summarize(recorder.MergeSameNode()) : null,
            CrossNode = split ? LatencyRecorder.Summarize(recorder.MergeCrossNode()) : null,
            ReadsPerSecond = counters is null ? null : Math.Round(readsInWindow.Reads / seconds, 1),
            FramesPerRead = counters is null || readsInWindow.Reads == 0 ? null : Math.Round(readsInWindow.Frames / (double)readsInWindow.Reads, 2),
        };
        step.WithinLimits = expected > 0 && step.Latency.P99Ms <= options.P99LimitMs && step.DeliveredRatio >= options.MinDeliveredRatio;
        return step;
    }

    private static (long Reads, long Frames, long Bytes) Subtract((long Reads, long Frames, long Bytes) a, (long Reads, long Frames, long Bytes) b) =>
        (a.Reads - b.Reads, a.Frames - b.Frames, a.Bytes - b.Bytes);

    /// <summary>The raw-socket client's read counters (all nodes of a cluster together), null for other clients.</summary>
    private static IReceiveCounters? CountersOf(ITarget target) => target switch
    {
        IReceiveCounters c => c,
        ClusterTarget cluster when cluster.Nodes.All(n => n is IReceiveCounters) => new SummedCounters([.. cluster.Nodes.Cast<IReceiveCounters>()]),
        _ => null,
    };

    private sealed class SummedCounters(IReceiveCounters[] parts) : IReceiveCounters
    {
        public (long Reads, long Frames, long Bytes) ReceiveCounters =>
            parts.Aggregate((0L, 0L, 0L), (sum, p) => (sum.Item1 + p.ReceiveCounters.Reads, sum.Item2 + p.ReceiveCounters.Frames, sum.Item3 + p.ReceiveCounters.Bytes));
    }

    private static async Task DelayUntil(long timestamp, CancellationToken cancellationToken)
    {
        var wait = timestamp - Stopwatch.GetTimestamp();
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency), cancellationToken);
        }
    }

    /// <summary>Sends every client's relayed messages to the current step's recorder.</summary>
    private sealed class Router
    {
        private LatencyRecorder? _current;

        public LatencyRecorder? Current
        {
            get => Volatile.Read(ref _current);
            set => Volatile.Write(ref _current, value);
        }

        /// <summary>The receive callback of a client on node <paramref name="node"/> (-1: not split by node).</summary>
        public Action<ReadOnlyMemory<byte>, long> For(int node) => (payload, arrived) => Current?.OnMessage(payload, arrived, node);
    }

    private sealed class Slot(IBenchClient client, byte[] payload, int recipients, byte tag)
    {
        /// <summary>The sender's node as a payload tag (<see cref="Payloads.NoTag"/> when not split).</summary>
        public byte Tag { get; } = tag;

        public IBenchClient Client { get; } = client;

        public byte[] Payload { get; } = payload;

        public int Recipients { get; } = recipients;

        public Task? Pending { get; set; }

        public bool Dead { get; set; }
    }

    /// <summary>Sends a share of the clients' broadcasts at the step's rate, one coarse tick at a time.</summary>
    private sealed class Pacer(Slot[] slots, bool binary)
    {
        private bool HasClients => slots.Length > 0;

        public long SentInWindow { get; private set; }

        public long ExpectedInWindow { get; private set; }

        public long SkippedInWindow { get; private set; }

        public long SendErrors { get; private set; }

        private double _perSecond;
        private long _maxCatchUp;
        private long _start;
        private long _issued;
        private int _next;

        public async Task RunAsync(double ratePerClient, long begin, long windowStart, long windowEnd, CancellationToken cancellationToken)
        {
            if (slots.Length == 0 || ratePerClient <= 0)
            {
                return;
            }

            await DelayUntil(begin, cancellationToken);
            Begin(ratePerClient);
            using var timer = new PeriodicTimer(Tick);
            while (RunTick(windowStart, windowEnd, cancellationToken))
            {
                await timer.WaitForNextTickAsync(cancellationToken);
            }
        }

        /// <summary>
        /// The same pacing for all <paramref name="pacers"/> on one thread of its own that sleeps between ticks
        /// and runs every pacer's tick back to back, as the thread-pool timers of <see cref="RunAsync"/> fire
        /// together (so the offered load has the same shape), but with no pool thread spinning for work after
        /// each tick: what the raw-socket client wants from a single core.
        /// </summary>
        public static void RunAll(Pacer[] pacers, double ratePerClient, long begin, long windowStart, long windowEnd, CancellationToken cancellationToken)
        {
            var active = pacers.Where(p => p.HasClients).ToList();
            if (active.Count == 0 || ratePerClient <= 0)
            {
                return;
            }

            while (Stopwatch.GetTimestamp() < begin)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Thread.Sleep(Tick);
            }

            foreach (var p in active)
            {
                p.Begin(ratePerClient);
            }

            while (true)
            {
                var running = false;
                foreach (var p in active)
                {
                    running |= p.RunTick(windowStart, windowEnd, cancellationToken);
                }

                if (!running)
                {
                    return;
                }

                cancellationToken.ThrowIfCancellationRequested();
                Thread.Sleep(Tick);
            }
        }

        private void Begin(double ratePerClient)
        {
            _perSecond = ratePerClient * slots.Length;
            _maxCatchUp = Math.Max(1, (long)(_perSecond * 0.2));
            _start = Stopwatch.GetTimestamp();
        }

        /// <summary>Sends what is due by now; false once the window is over.</summary>
        private bool RunTick(long windowStart, long windowEnd, CancellationToken cancellationToken)
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= windowEnd)
            {
                return false;
            }

            var due = (long)(_perSecond * ((now - _start) / (double)Stopwatch.Frequency)) - _issued;
            if (due > _maxCatchUp)
            {
                // The pacer fell behind (a stalled machine): do not burst to catch up, count them as skipped.
                if (now >= windowStart)
                {
                    SkippedInWindow += due - _maxCatchUp;
                }

                _issued += due - _maxCatchUp;
                due = _maxCatchUp;
            }

            for (var k = 0; k < due; k++)
            {
                _issued++;
                var slot = slots[_next];
                _next = _next + 1 == slots.Length ? 0 : _next + 1;
                var ts = Send(slot, cancellationToken);
                if (ts >= windowStart && ts < windowEnd)
                {
                    SentInWindow++;
                    ExpectedInWindow += slot.Recipients;
                }
                else if (ts < 0 && now >= windowStart && now < windowEnd)
                {
                    SkippedInWindow++;
                }
            }

            return true;
        }

        /// <summary>Starts one broadcast; returns its timestamp, or -1 when the client was busy or dead.</summary>
        private long Send(Slot slot, CancellationToken cancellationToken)
        {
            if (slot.Dead)
            {
                return -1;
            }

            if (slot.Pending is { } pending)
            {
                if (!pending.IsCompleted)
                {
                    return -1;
                }

                slot.Pending = null;
                if (!pending.IsCompletedSuccessfully)
                {
                    slot.Dead = true;
                    SendErrors++;
                    return -1;
                }
            }

            var ts = Stopwatch.GetTimestamp();
            Payloads.Stamp(slot.Payload, binary, ts, slot.Tag);
            try
            {
                var sending = slot.Client.BroadcastAsync(slot.Payload, binary, cancellationToken);
                if (sending.IsCompletedSuccessfully)
                {
                    sending.GetAwaiter().GetResult();
                }
                else
                {
                    slot.Pending = sending.AsTask();
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                slot.Dead = true;
                SendErrors++;
                return -1;
            }

            return ts;
        }
    }
}
