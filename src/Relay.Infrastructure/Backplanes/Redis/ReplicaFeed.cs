using Microsoft.Extensions.Logging;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Domain.Connections;
using Relay.Domain.Rooms;
using StackExchange.Redis;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>
/// Keeps this node's copies of shared rooms in step with their channels: applies each copy's channel messages in
/// order (under the replica's lock), and reloads a copy when it may have missed some: a gap in the sequence, a
/// message it cannot read, or when <see cref="RoomReplicas"/> asks. A sequenced room is brought up to date from its
/// history (every missed event delivered as if live); any other from a snapshot, reconciled with what its members
/// were told. Messages that arrive meanwhile are buffered and applied once the copy is ready again. A copy whose room
/// closed or is gone is handed to <c>drop</c>.
/// </summary>
internal sealed partial class ReplicaFeed(
    RoomStore store,
    NodeIdentity node,
    RelayStats stats,
    ILogger logger,
    Action<Replica> drop)
{
    private IRoomEventSink? _sink;

    private IRoomEventSink Sink => _sink ?? throw new InvalidOperationException("No event sink is attached.");

    public void Attach(IRoomEventSink sink) => _sink = sink;

    /// <summary>The first snapshot of <paramref name="replica"/> is loaded (under its lock): build the copy, then apply what was buffered.</summary>
    public void Start(Replica replica, RoomSnapshot snapshot)
    {
        replica.Room = Sink.Build(snapshot, live: true);
        replica.CheckedSeq = snapshot.Seq;
        replica.Ready = true;
        DrainBuffered(replica);
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

        Reload(replica, reason);
    }

    /// <summary>A message on the copy's channel: applied now, or buffered while the copy is not ready.</summary>
    public void OnMessage(Replica replica, RedisValue value)
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
                    drop(replica);
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
        Reload(replica, reason);
    }

    /// <summary>Counts and logs a reload of <paramref name="replica"/> (already marked resyncing), then runs it off the caller's thread.</summary>
    private void Reload(Replica replica, string reason)
    {
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
                    drop(replica);
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
