using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Domain.Rooms;
using StackExchange.Redis;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>
/// This node's copies of shared rooms. A copy is loaded (subscribe, then snapshot, then the messages buffered
/// meanwhile) when an operation acquires it; from then on its <see cref="ReplicaFeed"/> applies the room's channel
/// messages in order and reloads it when it may have missed some: a gap in the sequence, a stored seq that the copy
/// has not reached by the next periodic check (<see cref="CheckAsync"/>), a dropped subscription, or a message it
/// cannot read. A copy nothing needs is dropped after <see cref="IdleLinger"/>, so clients coming and going do not
/// cost a reload each.
/// </summary>
internal sealed class RoomReplicas
{
    /// <summary>How long a copy nothing needs stays subscribed before it is dropped.</summary>
    public static readonly TimeSpan IdleLinger = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Replica> _replicas = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _unsubscribing = new(StringComparer.Ordinal);
    private readonly RedisConnection _redis;
    private readonly RoomStore _store;
    private readonly TimeProvider _timeProvider;
    private readonly ReplicaFeed _feed;
    private readonly RoomRelayCounts _relays;

    public RoomReplicas(RedisConnection redis, RoomStore store, RoomRelayCounts relays, NodeIdentity node, RelayStats stats, TimeProvider timeProvider, ILogger logger)
    {
        _redis = redis;
        _store = store;
        _relays = relays;
        _timeProvider = timeProvider;
        _feed = new ReplicaFeed(store, node, stats, logger, Drop);
    }

    public void Attach(IRoomEventSink sink) => _feed.Attach(sink);

    /// <summary>The rooms this node has clients in.</summary>
    public IReadOnlyCollection<Room> WithLocalMembers =>
        [.. _replicas.Values.Where(r => r.HasLocalMembers).Select(r => r.Room).OfType<Room>()];

    public IEnumerable<Replica> All => _replicas.Values;

    /// <summary>The replica whose room is <paramref name="room"/>, or null (a read-only copy).</summary>
    public Replica? Of(Room room) =>
        _replicas.TryGetValue(room.Id, out var replica) && ReferenceEquals(replica.Room, room) ? replica : null;

    /// <summary>The loaded copy of <paramref name="roomId"/>, held until <see cref="Release(Room)"/>; null when there is no such room.</summary>
    public async Task<Room?> AcquireAsync(string roomId)
    {
        while (true)
        {
            var replica = _replicas.GetOrAdd(roomId, id => new Replica(id, _store.Keys.Channel(id)));
            Task<bool> loading;
            lock (replica.Sync)
            {
                if (replica.Dropped)
                {
                    continue;
                }

                replica.Users++;
                replica.IdleSince = null;
                loading = replica.Loading ??= LoadAsync(replica);
            }

            bool exists;
            try
            {
                exists = await loading;
            }
            catch
            {
                Release(replica);
                throw;
            }

            if (!exists)
            {
                lock (replica.Sync)
                {
                    replica.Users--;
                    if (!replica.Dropped)
                    {
                        // No such room: this copy is of no use, and must not answer for a room made later with that id.
                        Drop(replica);
                    }
                }

                return null;
            }

            return replica.Room;
        }
    }

    public void Release(Room room)
    {
        if (Of(room) is { } replica)
        {
            Release(replica);
        }
    }

    /// <summary>Completes once the copy of <paramref name="replica"/> has applied <paramref name="seq"/> and <paramref name="version"/>.</summary>
    public Task WaitForAsync(Replica replica, long seq, long version)
    {
        lock (replica.Sync)
        {
            return replica.Dropped ? Task.CompletedTask : replica.WaitFor(seq, version);
        }
    }

    /// <summary>Reloads a copy off the channel's thread (counted by <paramref name="reason"/>); meanwhile its messages are buffered.</summary>
    public void StartResync(Replica replica, string reason) => _feed.StartResync(replica, reason);

    /// <summary>Reloads every copy (the subscription was lost, or Redis is back after an outage).</summary>
    public void ResyncAll(string reason)
    {
        foreach (var replica in _replicas.Values)
        {
            StartResync(replica, reason);
        }
    }

    /// <summary>
    /// The periodic check: a copy behind the seq Redis had at the previous check has missed events (they would have
    /// arrived by now), and reloads. Catches a dropped subscription before any later event reveals the gap.
    /// </summary>
    public async Task CheckAsync()
    {
        var replicas = _replicas.Values.Where(r => r.Ready && !r.Dropped && r.Room is not null).ToArray();
        if (replicas.Length == 0)
        {
            return;
        }

        var seqs = await _store.SeqsAsync([.. replicas.Select(r => r.Id)]);
        for (var i = 0; i < replicas.Length; i++)
        {
            var replica = replicas[i];
            bool behind;
            lock (replica.Sync)
            {
                // A room gone from Redis whose closing event has not arrived by the next check was missed too.
                behind = seqs[i] < 0
                    ? replica.CheckedSeq < 0
                    : replica.Room is { } room && room.Seq < replica.CheckedSeq;
                replica.CheckedSeq = seqs[i];
            }

            if (behind)
            {
                StartResync(replica, "check");
            }
        }
    }

    /// <summary>Drops the copies idle for longer than <see cref="IdleLinger"/>; returns how many.</summary>
    public int DropIdle()
    {
        var now = _timeProvider.GetUtcNow();
        var dropped = 0;
        foreach (var replica in _replicas.Values)
        {
            lock (replica.Sync)
            {
                MarkIfIdle(replica);
                if (!replica.Dropped && replica.IdleSince is { } since && now - since >= IdleLinger && replica.Loading is not { IsCompleted: false })
                {
                    Drop(replica);
                    dropped++;
                }
            }
        }

        return dropped;
    }

    /// <summary>Unsubscribes everything (the node stops).</summary>
    public void DropAll()
    {
        foreach (var replica in _replicas.Values)
        {
            lock (replica.Sync)
            {
                if (!replica.Dropped)
                {
                    Drop(replica);
                }
            }
        }
    }

    private void Release(Replica replica)
    {
        lock (replica.Sync)
        {
            replica.Users = Math.Max(0, replica.Users - 1);
            MarkIfIdle(replica);
        }
    }

    private async Task<bool> LoadAsync(Replica replica)
    {
        try
        {
            // A dropped copy of the same room may still be unsubscribing: subscribing meanwhile could join the
            // subscription that is going away and lose the channel, so wait for it to finish.
            if (_unsubscribing.TryGetValue(replica.Id, out var unsubscribing))
            {
                await unsubscribing.WaitAsync(_redis.Budget, _timeProvider);
            }

            var queue = await _redis.SubscribeAsync(replica.Channel);
            replica.Subscription = queue;
            queue.OnMessage(message => _feed.OnMessage(replica, message.Message));
            var snapshot = await _store.SnapshotAsync(replica.Id);
            lock (replica.Sync)
            {
                if (snapshot is null)
                {
                    return false;
                }

                _feed.Start(replica, snapshot);
                _relays.Track(replica);
            }

            return true;
        }
        catch (Exception e) when (e is RoomStoreUnavailableException or TimeoutException or RedisException)
        {
            lock (replica.Sync)
            {
                replica.Loading = null;
            }

            throw e as RoomStoreUnavailableException ?? new RoomStoreUnavailableException("Redis is unavailable: " + e.Message, e);
        }
    }

    /// <summary>Notes when nothing of this node needs a copy any more (under its lock); <see cref="DropIdle"/> drops it later.</summary>
    private void MarkIfIdle(Replica replica)
    {
        if (replica.Dropped || replica.Users > 0 || replica.HasLocalMembers)
        {
            replica.IdleSince = null;
            return;
        }

        replica.IdleSince ??= _timeProvider.GetUtcNow();
    }

    private void Drop(Replica replica)
    {
        replica.Dropped = true;
        replica.ReleaseWaiters();

        // The unsubscription is announced before the replica leaves the map: an acquisition that then makes a new
        // copy of the same room waits for it before subscribing (see LoadAsync).
        var unsubscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _unsubscribing[replica.Id] = unsubscribed.Task;
        _replicas.TryRemove(new KeyValuePair<string, Replica>(replica.Id, replica));
        _ = UnsubscribeAsync(replica.Id, replica.Subscription, unsubscribed);
    }

    private async Task UnsubscribeAsync(string roomId, ChannelMessageQueue? subscription, TaskCompletionSource unsubscribed)
    {
        if (subscription is not null)
        {
            try
            {
                await subscription.UnsubscribeAsync().WaitAsync(_redis.Budget, _timeProvider);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // The connection is gone or stalled: so is (or will be) the subscription.
            }
        }

        _unsubscribing.TryRemove(new KeyValuePair<string, Task>(roomId, unsubscribed.Task));
        unsubscribed.TrySetResult();
    }
}
