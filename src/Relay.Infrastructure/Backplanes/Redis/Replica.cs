using Relay.Domain.Rooms;
using StackExchange.Redis;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>
/// This node's copy of a shared room, kept while the node has members in it (or an operation needs it): a real
/// <see cref="Room"/> whose members are this node's sessions plus stand-ins for members elsewhere, so the rules and
/// handlers run unchanged. It changes only by applying the room's channel messages in order. Guarded by <see cref="Sync"/>.
/// </summary>
internal sealed class Replica(string id, RedisChannel channel)
{
    private readonly List<Waiter> _waiters = [];

    public string Id { get; } = id;

    public RedisChannel Channel { get; } = channel;

    public Lock Sync { get; } = new();

    /// <summary>One commit at a time per room from this node: concurrent joins here do not conflict with each other.</summary>
    public SemaphoreSlim CommitLock { get; } = new(1, 1);

    /// <summary>Null until the first snapshot is loaded.</summary>
    public Room? Room { get; set; }

    /// <summary>False while a snapshot or the history is being read: messages are buffered meanwhile.</summary>
    public bool Ready { get; set; }

    public bool Resyncing { get; set; }

    /// <summary>Dropped replicas are never used again; a new one is made on the next acquisition.</summary>
    public bool Dropped { get; set; }

    public ChannelMessageQueue? Subscription { get; set; }

    public Task<bool>? Loading { get; set; }

    public List<byte[]> Buffered { get; } = [];

    /// <summary>Operations holding the replica (acquired and not yet released).</summary>
    public int Users { get; set; }

    /// <summary>Since when nothing needs this replica; null while something does.</summary>
    public DateTimeOffset? IdleSince { get; set; }

    /// <summary>The stored seq seen by the last periodic check: events up to it must have arrived by the next one.</summary>
    public long CheckedSeq { get; set; }

    /// <summary>The last relay number seen from each other node (gaps are relays lost on the way).</summary>
    public Dictionary<string, long> RelayCounters { get; } = new(StringComparer.Ordinal);

    /// <summary>How many relays this node has published on the channel.</summary>
    public long PublishedRelays { get; set; }

    /// <summary>How many of the relays counted in <see cref="Room"/> Redis has been told of (under <see cref="RoomRelayCounts"/>' lock).</summary>
    public long ReportedRelays { get; set; }

    public bool HasLocalMembers
    {
        get
        {
            if (Room is null)
            {
                return false;
            }

            foreach (var member in Room.Members)
            {
                if (member.Connection is not null)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Completes once the copy has applied <paramref name="seq"/> and reached <paramref name="version"/> (under <see cref="Sync"/>).</summary>
    public Task WaitFor(long seq, long version)
    {
        if (Room is { } room && room.Seq >= seq && room.Version >= version)
        {
            return Task.CompletedTask;
        }

        var waiter = new Waiter(seq, version);
        _waiters.Add(waiter);
        return waiter.Done.Task;
    }

    /// <summary>Releases the waiters the copy has caught up with (under <see cref="Sync"/>, after each applied message).</summary>
    public void Progress()
    {
        if (_waiters.Count == 0 || Room is not { } room)
        {
            return;
        }

        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            var waiter = _waiters[i];
            if (room.Seq >= waiter.Seq && room.Version >= waiter.Version)
            {
                waiter.Done.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }

    /// <summary>Releases every waiter (the replica is dropped, or the room closed).</summary>
    public void ReleaseWaiters()
    {
        foreach (var waiter in _waiters)
        {
            waiter.Done.TrySetResult();
        }

        _waiters.Clear();
    }

    private sealed record Waiter(long Seq, long Version)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
