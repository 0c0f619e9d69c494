namespace Relay.Application.Webhooks;

/// <summary>
/// The counts of webhook delivery on this node, read by the metrics endpoint when it is scraped: events waiting,
/// delivered, retried and dropped (queue full, or retries given up), and the time from an event to its delivery.
/// </summary>
public sealed class WebhookStats
{
    public const string OverflowReason = "overflow";
    public const string ExpiredReason = "expired";

    private long _queued;
    private long _delivered;
    private long _retries;
    private long _overflow;
    private long _expired;
    private int _partitions;

    /// <summary>Both drop reasons, exported from the start.</summary>
    public static IReadOnlyList<string> DropReasons { get; } = [OverflowReason, ExpiredReason];

    /// <summary>Events waiting on this node to be delivered (in a cluster: read from its partitions, not yet finished).</summary>
    public long Queued => Interlocked.Read(ref _queued);

    public long Delivered => Interlocked.Read(ref _delivered);

    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>In a cluster: the partitions of rooms whose events this node delivers now.</summary>
    public int Partitions => Volatile.Read(ref _partitions);

    /// <summary>Told the delay from an event to its delivery, in seconds (the metrics' histogram).</summary>
    public Action<double>? LatencyObserver { get; set; }

    public IEnumerable<(string Reason, long Count)> Dropped =>
        [(OverflowReason, Interlocked.Read(ref _overflow)), (ExpiredReason, Interlocked.Read(ref _expired))];

    public long DroppedFor(string reason) => reason == OverflowReason ? Interlocked.Read(ref _overflow) : Interlocked.Read(ref _expired);

    public void RecordQueued(int delta) => Interlocked.Add(ref _queued, delta);

    public void RecordDelivered(TimeSpan latency)
    {
        Interlocked.Increment(ref _delivered);
        LatencyObserver?.Invoke(Math.Max(latency.TotalSeconds, 0));
    }

    public void RecordRetry() => Interlocked.Increment(ref _retries);

    public void RecordOverflow(long count = 1) => Interlocked.Add(ref _overflow, count);

    public void RecordExpired() => Interlocked.Increment(ref _expired);

    public void SetPartitions(int count) => Volatile.Write(ref _partitions, count);
}
