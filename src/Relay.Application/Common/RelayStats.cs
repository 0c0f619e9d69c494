namespace Relay.Application.Common;

/// <summary>Server-wide counters shown in the summary. Lock-free; one increment per relayed message, not per recipient.</summary>
public sealed class RelayStats(TimeProvider timeProvider)
{
    private readonly long _startedAt = timeProvider.GetTimestamp();
    private long _messagesRelayed;
    private long _bytesRelayed;
    private long _deliveries;

    public long MessagesRelayed => Interlocked.Read(ref _messagesRelayed);

    public long BytesRelayed => Interlocked.Read(ref _bytesRelayed);

    public long Deliveries => Interlocked.Read(ref _deliveries);

    public TimeSpan Uptime => timeProvider.GetElapsedTime(_startedAt);

    /// <summary>Counts one relayed message of <paramref name="payloadBytes"/> delivered to <paramref name="recipients"/> clients.</summary>
    public void RecordRelay(int payloadBytes, int recipients)
    {
        Interlocked.Increment(ref _messagesRelayed);
        Interlocked.Add(ref _bytesRelayed, payloadBytes);
        Interlocked.Add(ref _deliveries, recipients);
    }
}
