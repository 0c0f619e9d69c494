using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Domain.Connections;
using Relay.Domain.Rooms;
using StackExchange.Redis;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>
/// This node's copies of shared rooms. A copy is loaded (subscribe, then snapshot, then the messages buffered
/// meanwhile) when an operation acquires it, applies the room's channel messages in order, and reloads itself when it
/// may have missed some: a gap in the sequence, a stored seq that the copy has not reached by the next periodic check,
/// a dropped subscription, or a message it cannot read. A sequenced room is brought up to date from its history (every
/// missed event delivered as if live); any other from a snapshot, reconciled with what its members were told. A copy
/// nothing needs is dropped after <see cref="IdleLinger"/>, so clients coming and going do not cost a reload each.
/// </summary>
internal sealed partial class RoomReplicas(
    RedisConnection redis,
    RoomStore store,
    NodeIdentity node,
    RelayStats stats,
    TimeProvider timeProvider,
    ILogger logger)
{
    /// <summary>How long a copy nothing needs stays subscribed before it is dropped.</summary>
    public static readonly TimeSpan IdleLinger = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Replica> _replicas = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _unsubscribing = new(StringComparer.Ordinal);
    private IRoomEventSink? _sink;

    private IRoomEventSink Sink => _sink ?? throw new InvalidOperationException("No event sink is attached.");

    public void Attach(IRoomEventSink sink) => _sink = sink;

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
            var replica = _replicas.GetOrAdd(roomId, id => new Replica(id, store.Keys.Channel(id)));
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
    public void StartResync(Replica replica, string reason)
    {
        lock (replica.Sync)
        {
            if (replica.Dropped || replica.Resyncing || replica.Room is null)
            {
                return;
            }

            replica.Resyncing = true;
            replica.Ready = false;
        }

        stats.RecordResync(reason);
        LogResync(logger, replica.Id, reason);
        _ = Task.Run(() => ResyncAsync(replica));
    }

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

        var seqs = await store.SeqsAsync([.. replicas.Select(r => r.Id)]);
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
        var now = timeProvider.GetUtcNow();
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
                await unsubscribing.WaitAsync(redis.Budget, timeProvider);
            }

            var queue = await redis.SubscribeAsync(replica.Channel);
            replica.Subscription = queue;
            queue.OnMessage(message => OnMessage(replica, message.Message));
            var snapshot = await store.SnapshotAsync(replica.Id);
            lock (replica.Sync)
            {
                if (snapshot is null)
                {
                    return false;
                }

                replica.Room = Sink.Build(snapshot, live: true);
                replica.CheckedSeq = snapshot.Seq;
                replica.Ready = true;
                DrainBuffered(replica);
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

    private void OnMessage(Replica replica, RedisValue value)
    {
        lock (replica.Sync)
        {
            if (replica.Dropped)
            {
                return;
            }

            if (!replica.Ready)
            {
                replica.Buffered.Add((byte[])value!);
                return;
            }

            ApplyOrResync(replica, (ReadOnlyMemory<byte>)value);
        }
    }

    /// <summary>Applies one message in order (under the replica's lock), reloading the room when it reveals a problem.</summary>
    private void ApplyOrResync(Replica replica, ReadOnlyMemory<byte> bytes)
    {
        try
        {
            switch (Apply(replica, bytes))
            {
                case Outcome.Gap:
                    replica.Buffered.Add(bytes.ToArray());
                    StartResyncLocked(replica, "gap");
                    break;
                case Outcome.Unreadable:
                    StartResyncLocked(replica, "format");
                    break;
            }
        }
        catch (Exception e)
        {
            // A message this node cannot apply (or a fault while applying it) must not stop the room's channel, whose
            // handler this is: reload the room instead.
            LogApplyFailed(logger, replica.Id, e.GetType().Name, e.Message);
            StartResyncLocked(replica, "format");
        }
    }

    private Outcome Apply(Replica replica, ReadOnlyMemory<byte> bytes)
    {
        var room = replica.Room!;
        var message = RoomEventCodec.Decode(bytes);
        switch (message.Kind)
        {
            case ChannelMessageKind.Relay:
                if (message.Origin != node.Id)
                {
                    CountRelay(replica, message.Origin!, message.Counter);
                    Sink.DeliverRelay(room, message.Relay, 0);
                }

                return Outcome.Applied;
            case ChannelMessageKind.Event:
            case ChannelMessageKind.SequencedRelay:
                if (message.Seq <= room.Seq)
                {
                    return Outcome.Applied; // Already part of the copy (its snapshot, or its history).
                }

                if (message.Seq > room.Seq + 1)
                {
                    return Outcome.Gap;
                }

                if (message.Kind == ChannelMessageKind.Event)
                {
                    Sink.Apply(room, message.Event!, message.Seq);
                }
                else
                {
                    Sink.DeliverRelay(room, message.Relay, message.Seq);
                }

                replica.Progress();
                if (room.IsClosed)
                {
                    Drop(replica);
                }

                return Outcome.Applied;
            default:
                return Outcome.Unreadable;
        }
    }

    private void CountRelay(Replica replica, string origin, long counter)
    {
        if (counter <= 0)
        {
            return;
        }

        if (replica.RelayCounters.TryGetValue(origin, out var last) && counter > last + 1)
        {
            var lost = counter - last - 1;
            stats.RecordLostRelays(lost);
            LogLostRelays(logger, replica.Id, origin, lost);
        }

        replica.RelayCounters[origin] = counter;
    }

    private void StartResyncLocked(Replica replica, string reason)
    {
        if (replica.Resyncing)
        {
            replica.Ready = false;
            return;
        }

        replica.Resyncing = true;
        replica.Ready = false;
        stats.RecordResync(reason);
        LogResync(logger, replica.Id, reason);
        _ = Task.Run(() => ResyncAsync(replica));
    }

    private async Task ResyncAsync(Replica replica)
    {
        try
        {
            var room = replica.Room!;
            if (room.IsSequenced && await CatchUpFromHistoryAsync(replica, room))
            {
                return;
            }

            var snapshot = await store.SnapshotAsync(replica.Id);
            lock (replica.Sync)
            {
                if (replica.Dropped)
                {
                    return;
                }

                if (snapshot is null)
                {
                    Sink.Apply(room, new RoomClosed(Application.Common.RoomClosedReasons.Deleted, CloseCodes.RoomClosed, null), room.Seq + 1);
                    Drop(replica);
                    return;
                }

                if (room.IsSequenced && snapshot.Seq > room.Seq)
                {
                    // The history no longer held them: the room events in between never reach this node's members.
                    stats.RecordLostRelays(snapshot.Seq - room.Seq);
                    LogLostRelays(logger, replica.Id, "the history", snapshot.Seq - room.Seq);
                }

                Sink.Reconcile(room, snapshot, live: true);
                replica.CheckedSeq = snapshot.Seq;
                Finish(replica);
            }
        }
        catch (Exception e)
        {
            // Redis failed (or, worse, something this node did not foresee): a copy must never stay stuck reloading,
            // buffering its channel for good while its members wait for events that never come.
            LogResyncFailed(logger, replica.Id, e is RoomStoreUnavailableException or RedisException or TimeoutException ? e.Message : $"{e.GetType().Name}: {e.Message}");
            lock (replica.Sync)
            {
                // Tried again by the next check or reconnect; meanwhile the copy goes on with what it has.
                replica.Buffered.Clear();
                replica.Resyncing = false;
                replica.Ready = true;
                replica.CheckedSeq = long.MaxValue;
            }
        }
    }

    /// <summary>Applies the history after the copy's seq as if live; false when the history no longer holds all of it.</summary>
    private async Task<bool> CatchUpFromHistoryAsync(Replica replica, Room room)
    {
        var history = await store.ReadHistoryAsync(replica.Id, room.Seq);
        if (history is not { Complete: true } read)
        {
            return false;
        }

        lock (replica.Sync)
        {
            if (replica.Dropped)
            {
                return true;
            }

            foreach (var message in read.Messages)
            {
                if (Apply(replica, (byte[])message!) != Outcome.Applied)
                {
                    return false;
                }
            }

            if (replica.Dropped)
            {
                return true;
            }

            replica.CheckedSeq = read.Seq;
            Finish(replica);
            return true;
        }
    }

    /// <summary>The copy is up to date again: apply what was buffered meanwhile (under the lock).</summary>
    private void Finish(Replica replica)
    {
        replica.Resyncing = false;
        replica.Ready = true;
        replica.Progress();
        DrainBuffered(replica);
    }

    private void DrainBuffered(Replica replica)
    {
        var buffered = replica.Buffered.ToArray();
        replica.Buffered.Clear();
        foreach (var message in buffered)
        {
            if (!replica.Ready || replica.Dropped)
            {
                replica.Buffered.Add(message);
                continue;
            }

            ApplyOrResync(replica, message);
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

        replica.IdleSince ??= timeProvider.GetUtcNow();
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
                await subscription.UnsubscribeAsync().WaitAsync(redis.Budget, timeProvider);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // The connection is gone or stalled: so is (or will be) the subscription.
            }
        }

        _unsubscribing.TryRemove(new KeyValuePair<string, Task>(roomId, unsubscribed.Task));
        unsubscribed.TrySetResult();
    }

    private enum Outcome
    {
        Applied,
        Gap,
        Unreadable,
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Room {RoomId}: reloading its copy ({Reason})")]
    private static partial void LogResync(ILogger logger, string roomId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Room {RoomId}: reloading its copy failed: {Error}")]
    private static partial void LogResyncFailed(ILogger logger, string roomId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Room {RoomId}: a channel message could not be applied ({Type}: {Error}); reloading the room")]
    private static partial void LogApplyFailed(ILogger logger, string roomId, string type, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Room {RoomId}: {Count} relays from node {Node} never arrived")]
    private static partial void LogLostRelays(ILogger logger, string roomId, string node, long count);
}
