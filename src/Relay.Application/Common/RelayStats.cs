using System.Collections.Frozen;

namespace Relay.Application.Common;

/// <summary>
/// Server-wide counters, shown in the summary and exported as metrics. Lock-free: each is one interlocked
/// add, once per message (not per recipient) on the relay path, and read only when scraped.
/// </summary>
public sealed class RelayStats(TimeProvider timeProvider)
{
    /// <summary>The `error.code` values counted by <see cref="RecordError"/>.</summary>
    public static readonly IReadOnlyList<string> ErrorCodeNames =
    [
        ErrorCodes.BadRequest, ErrorCodes.UnknownType, ErrorCodes.NotConnected, ErrorCodes.AlreadyConnected,
        ErrorCodes.RoomNotFound, ErrorCodes.InvalidSecret, ErrorCodes.RoomFull, ErrorCodes.RoomLocked,
        ErrorCodes.NotHost, ErrorCodes.Forbidden, ErrorCodes.UnknownClient, ErrorCodes.RateLimited, ErrorCodes.Unavailable, ErrorCodes.ResumeFailed, ErrorCodes.InvalidToken,
    ];

    /// <summary>Why a room copy is reloaded (<see cref="RecordResync"/>).</summary>
    public static readonly IReadOnlyList<string> ResyncReasons = ["gap", "check", "reconnect", "format", "commit"];

    /// <summary>Why a resume fails (<see cref="RecordResume"/>).</summary>
    public static readonly IReadOnlyList<string> ResumeFailureReasons = ["RoomNotFound", "UnknownToken", "SeqAhead", "HistoryGap", "AlreadyInRoom", "Unavailable"];

    private static readonly FrozenDictionary<string, int> ErrorIndex =
        ErrorCodeNames.Select((code, i) => (code, i)).ToFrozenDictionary(p => p.code, p => p.i, StringComparer.Ordinal);

    private readonly long _startedAt = timeProvider.GetTimestamp();
    private readonly long[] _errors = new long[ErrorCodeNames.Count];
    private long _messagesRelayed;
    private long _bytesRelayed;
    private long _deliveries;
    private long _messagesReceived;
    private long _bytesReceived;
    private long _framesSent;
    private long _bytesSent;
    private long _drops;
    private long _slowConsumerCloses;
    private long _rateLimitHits;
    private long _connectionsOpened;
    private long _openConnections;
    private long _resumes;
    private long _lostRelays;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _resyncs = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _resumeFailures = new(StringComparer.Ordinal);

    public long MessagesRelayed => Interlocked.Read(ref _messagesRelayed);

    public long BytesRelayed => Interlocked.Read(ref _bytesRelayed);

    public long Deliveries => Interlocked.Read(ref _deliveries);

    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    public long FramesSent => Interlocked.Read(ref _framesSent);

    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public long Drops => Interlocked.Read(ref _drops);

    public long SlowConsumerCloses => Interlocked.Read(ref _slowConsumerCloses);

    public long RateLimitHits => Interlocked.Read(ref _rateLimitHits);

    public long ConnectionsOpened => Interlocked.Read(ref _connectionsOpened);

    public long OpenConnections => Interlocked.Read(ref _openConnections);

    public TimeSpan Uptime => timeProvider.GetElapsedTime(_startedAt);

    /// <summary>Counts one relayed message of <paramref name="payloadBytes"/>, once, on the node where it was sent.</summary>
    public void RecordRelay(int payloadBytes)
    {
        Interlocked.Increment(ref _messagesRelayed);
        Interlocked.Add(ref _bytesRelayed, payloadBytes);
    }

    /// <summary>Counts <paramref name="recipients"/> connections a relay was queued to (on each node that delivered it).</summary>
    public void RecordDeliveries(int recipients) => Interlocked.Add(ref _deliveries, recipients);

    /// <summary>Counts a `resume`: succeeded (<paramref name="failure"/> null) or failed for <paramref name="failure"/>.</summary>
    public void RecordResume(string? failure)
    {
        if (failure is null)
        {
            Interlocked.Increment(ref _resumes);
            return;
        }

        _resumeFailures.AddOrUpdate(failure, 1, static (_, n) => n + 1);
    }

    public long Resumes => Interlocked.Read(ref _resumes);

    /// <summary>Counts a room copy reloaded because events may have been missed, by <paramref name="reason"/> (`gap`, `check`, `reconnect`, `format`, `commit`).</summary>
    public void RecordResync(string reason) => _resyncs.AddOrUpdate(reason, 1, static (_, n) => n + 1);

    /// <summary>Room copies reloaded, by reason.</summary>
    public IReadOnlyDictionary<string, long> Resyncs => _resyncs;

    /// <summary>Counts relays from other nodes that never arrived (a gap in a node's relay numbers).</summary>
    public void RecordLostRelays(long count) => Interlocked.Add(ref _lostRelays, count);

    public long LostRelays => Interlocked.Read(ref _lostRelays);

    /// <summary>Failed resumes by reason.</summary>
    public IReadOnlyDictionary<string, long> ResumeFailures => _resumeFailures;

    /// <summary>Counts a message received from a client.</summary>
    public void RecordReceived(int bytes)
    {
        Interlocked.Increment(ref _messagesReceived);
        Interlocked.Add(ref _bytesReceived, bytes);
    }

    /// <summary>Counts a frame written to a client.</summary>
    public void RecordSent(int bytes)
    {
        Interlocked.Increment(ref _framesSent);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    /// <summary>Counts a frame a connection refused (closing, or its queue overflowed).</summary>
    public void RecordDrop() => Interlocked.Increment(ref _drops);

    public void RecordSlowConsumerClose() => Interlocked.Increment(ref _slowConsumerCloses);

    public void RecordError(string code)
    {
        if (ErrorIndex.TryGetValue(code, out var index))
        {
            Interlocked.Increment(ref _errors[index]);
        }

        if (code == ErrorCodes.RateLimited)
        {
            Interlocked.Increment(ref _rateLimitHits);
        }
    }

    public long Errors(string code) => ErrorIndex.TryGetValue(code, out var index) ? Interlocked.Read(ref _errors[index]) : 0;

    public void RecordConnectionOpened()
    {
        Interlocked.Increment(ref _connectionsOpened);
        Interlocked.Increment(ref _openConnections);
    }

    public void RecordConnectionClosed() => Interlocked.Decrement(ref _openConnections);
}
