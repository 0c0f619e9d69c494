using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relay.Application.Abstractions;
using Relay.Application.Common.Options;
using Relay.Application.Webhooks;
using Relay.Infrastructure.Webhooks;
using StackExchange.Redis;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>
/// Delivers a cluster's webhook events, each by one node. The events of each partition of rooms are in a Redis stream
/// (<see cref="WebhookStreams"/>); a node holds the lease of a share of the partitions (the partitions over the live
/// nodes), renews it every second, reads its partitions in stream order into the <see cref="WebhookDispatcher"/> (one
/// line per room: a room's events in order, one at a time) and deletes each entry once it was delivered or given up.
/// <list type="bullet">
/// <item>A node that dies stops renewing: its leases expire and the survivors take its partitions, reading them from
/// the first entry still there — every event it had read and not finished, in the room's order (at least once: an
/// event delivered just before the death comes again with the same `webhook-id`).</item>
/// <item>A node that cannot renew stops, aborting what it has in flight, before its lease can expire, so two nodes
/// never deliver one partition at once (as long as the clocks run at the same rate).</item>
/// <item>A node holding more than its share (others joined) hands the surplus over without a duplicate: it starts
/// nothing new there, lets what is in flight finish, deletes what finished, then gives the lease up.</item>
/// </list>
/// </summary>
public sealed partial class WebhookPartitions(
    RedisBackplane backplane,
    WebhookDispatcher dispatcher,
    WebhookStats stats,
    IOptions<RelayOptions> options,
    TimeProvider timeProvider,
    ILogger<WebhookPartitions> logger) : BackgroundService
{
    /// <summary>Entries a partition may have read and not finished.</summary>
    private const int MaxInFlight = 256;

    private const int ReadBatch = 128;

    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(10);

    private readonly Dictionary<int, Partition> _held = [];
    private readonly List<Partition> _retired = [];
    private readonly TimeSpan _lease = TimeSpan.FromSeconds(options.Value.Webhooks.TimeoutSeconds + 5);
    private DateTimeOffset _lastLeases = DateTimeOffset.MinValue;
    private int _failureLogged;

    private WebhookStreams Streams => backplane.Webhooks!;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var more = false;
            try
            {
                await FlushAcksAsync();
                if (timeProvider.GetUtcNow() - _lastLeases >= RenewEvery)
                {
                    await LeasesAsync();
                }

                DropExpiredLeases();
                await ReleaseAsync();
                more = await ReadAsync();
                if (Interlocked.Exchange(ref _failureLogged, 0) == 1)
                {
                    LogRecovered(logger);
                }
            }
            catch (RoomStoreUnavailableException e)
            {
                if (Interlocked.Exchange(ref _failureLogged, 1) == 0)
                {
                    LogUnavailable(logger, e.Message);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e.GetType().Name, e.Message);
            }

            stats.SetPartitions(_held.Count);
            if (!more)
            {
                try
                {
                    await Task.Delay(Tick, timeProvider, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        await HandOverAsync();
    }

    /// <summary>The node stops: nothing new starts, what is in flight finishes (bounded), the leases are given up.</summary>
    private async Task HandOverAsync()
    {
        foreach (var partition in _held.Values)
        {
            partition.StartStopping();
        }

        var deadline = timeProvider.GetUtcNow() + StopWait;
        while (_held.Values.Any(p => p.InFlight > 0) && timeProvider.GetUtcNow() < deadline)
        {
            await Task.Delay(50, CancellationToken.None);
        }

        try
        {
            await FlushAcksAsync();
            foreach (var partition in _held.Values)
            {
                partition.Lose();
                await GiveUpAsync(partition);
            }
        }
        catch (RoomStoreUnavailableException)
        {
            // The leases expire by themselves.
        }

        _held.Clear();
        stats.SetPartitions(0);
    }

    private async Task LeasesAsync()
    {
        var asked = timeProvider.GetUtcNow();
        var heartbeat = backplane.Options.HeartbeatSeconds;
        var result = (RedisResult[])(await backplane.Connection.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.WebhookLeases, values:
        [
            backplane.Keys.Nodes.ToString(), (long)(heartbeat * 1500), Streams.LeasePrefix, backplane.NodeId,
            WebhookStreams.Partitions, (long)_lease.TotalMilliseconds,
        ])))!;
        _lastLeases = asked;
        var share = (int)result[0];
        var held = new HashSet<int>(result.Skip(1).Select(r => (int)r));
        foreach (var number in held)
        {
            if (!_held.TryGetValue(number, out var partition))
            {
                partition = new Partition(number, Streams.Stream(number));
                _held.Add(number, partition);
                LogTaken(logger, number);
            }

            partition.Renewed = asked;
        }

        foreach (var partition in _held.Values.Where(p => !held.Contains(p.Number)).ToList())
        {
            // Someone else holds it now (this node's lease had expired): whatever is in flight here stops.
            Retire(partition);
        }

        var surplus = _held.Count - share - _held.Values.Count(p => p.Stopping);
        foreach (var partition in _held.Values.Where(p => !p.Stopping).OrderByDescending(p => p.Number).Take(Math.Max(surplus, 0)))
        {
            partition.StartStopping();
        }
    }

    /// <summary>A lease not renewed for almost its whole length may expire any moment: stop before it does.</summary>
    private void DropExpiredLeases()
    {
        var now = timeProvider.GetUtcNow();
        foreach (var partition in _held.Values.Where(p => now - p.Renewed > _lease - TimeSpan.FromSeconds(1)).ToList())
        {
            Retire(partition);
        }
    }

    /// <summary>Gives up the leases of the partitions being handed over once nothing of theirs is in flight.</summary>
    private async Task ReleaseAsync()
    {
        foreach (var partition in _held.Values.Where(p => p.Stopping && p.InFlight == 0).ToList())
        {
            await FlushAcksAsync(partition);
            partition.Lose();
            _held.Remove(partition.Number);
            await GiveUpAsync(partition);
            LogHandedOver(logger, partition.Number);
        }
    }

    private Task GiveUpAsync(Partition partition) =>
        backplane.Connection.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.WebhookRelease,
            values: [Streams.LeasePrefix + partition.Number.ToString(System.Globalization.CultureInfo.InvariantCulture), backplane.NodeId]));

    private void Retire(Partition partition)
    {
        partition.Lose();
        _held.Remove(partition.Number);
        _retired.Add(partition);
        LogLost(logger, partition.Number);
    }

    /// <summary>Reads what the partitions have after what was read; true when some partition may have more right now.</summary>
    private async Task<bool> ReadAsync()
    {
        var reading = _held.Values.Where(p => !p.Stopping && p.InFlight < MaxInFlight).ToList();
        if (reading.Count == 0)
        {
            return false;
        }

        var values = new List<RedisValue> { Streams.LeasePrefix, backplane.NodeId, ReadBatch };
        foreach (var partition in reading)
        {
            values.Add(partition.Stream.ToString());
            values.Add(partition.LastId);
        }

        var result = (RedisResult[])(await backplane.Connection.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.WebhookRead, values: [.. values])))!;
        var byStream = reading.ToDictionary(p => p.Stream.ToString(), StringComparer.Ordinal);
        var more = false;
        foreach (var part in result.Select(r => (RedisResult[])r!))
        {
            if (!byStream.TryGetValue(part[0].ToString(), out var partition) || partition.Lost.IsCancellationRequested)
            {
                continue;
            }

            var drops = (long)part[1];
            if (drops > 0)
            {
                stats.RecordOverflow(drops);
            }

            var entries = (RedisResult[])part[2]!;
            more |= entries.Length == ReadBatch;
            foreach (var entry in entries.Select(e => (RedisResult[])e!))
            {
                var id = entry[0].ToString();
                partition.LastId = id;
                if (Decode((RedisResult[])entry[1]!) is not { } webhook)
                {
                    partition.Done(id);
                    continue;
                }

                partition.Take();
                dispatcher.Enqueue(webhook, partition, id);
            }
        }

        return more;
    }

    private static WebhookEvent? Decode(RedisResult[] fields)
    {
        RedisValue seq = default, time = default, value = default;
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            switch (fields[i].ToString())
            {
                case "s":
                    seq = (RedisValue)fields[i + 1];
                    break;
                case "t":
                    time = (RedisValue)fields[i + 1];
                    break;
                case "v":
                    value = (RedisValue)fields[i + 1];
                    break;
            }
        }

        return WebhookStreams.Decode(seq, time, value);
    }

    private async Task FlushAcksAsync()
    {
        foreach (var partition in _held.Values.Concat(_retired).ToList())
        {
            await FlushAcksAsync(partition);
        }

        _retired.RemoveAll(p => p.InFlight == 0 && p.Acks.IsEmpty);
    }

    private async Task FlushAcksAsync(Partition partition)
    {
        var ids = new List<RedisValue>();
        while (partition.Acks.TryDequeue(out var id))
        {
            ids.Add(id);
        }

        if (ids.Count == 0)
        {
            return;
        }

        try
        {
            await backplane.Connection.RunAsync(db => db.StreamDeleteAsync(partition.Stream, [.. ids]));
        }
        catch (RoomStoreUnavailableException)
        {
            foreach (var id in ids)
            {
                partition.Acks.Enqueue(id);
            }

            throw;
        }
    }

    /// <summary>One partition this node delivers (or did, until its lease was lost or handed over).</summary>
    private sealed class Partition(int number, RedisKey stream) : WebhookClaim
    {
        private readonly CancellationTokenSource _lost = new();
        private volatile bool _stopping;
        private int _inFlight;

        public int Number { get; } = number;

        public RedisKey Stream { get; } = stream;

        /// <summary>The id of the last entry read (<c>-</c>: none yet, read from the start).</summary>
        public string LastId { get; set; } = "-";

        /// <summary>When the lease was last renewed (the time the renewal was asked for).</summary>
        public DateTimeOffset Renewed { get; set; }

        public ConcurrentQueue<RedisValue> Acks { get; } = new();

        public int InFlight => Volatile.Read(ref _inFlight);

        public override CancellationToken Lost => _lost.Token;

        public override bool Stopping => _stopping;

        public void StartStopping() => _stopping = true;

        public void Take() => Interlocked.Increment(ref _inFlight);

        public void Lose()
        {
            _stopping = true;
            _lost.Cancel();
        }

        public override void Done(string entryId) => Acks.Enqueue(entryId);

        public override void Released() => Interlocked.Decrement(ref _inFlight);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhooks: this node now delivers partition {Partition}")]
    private static partial void LogTaken(ILogger logger, int partition);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhooks: partition {Partition} handed over to another node")]
    private static partial void LogHandedOver(ILogger logger, int partition);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhooks: the lease of partition {Partition} could not be renewed in time; its events are left to the next holder")]
    private static partial void LogLost(ILogger logger, int partition);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhooks: Redis unavailable ({Error}); delivery waits (logged once until it answers)")]
    private static partial void LogUnavailable(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhooks: Redis answers again")]
    private static partial void LogRecovered(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhooks: delivery loop failed ({Type}): {Error}")]
    private static partial void LogFailed(ILogger logger, string type, string error);
}
