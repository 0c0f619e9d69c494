using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Realtime.Frames;
using Relay.Application.Realtime.Parsing;
using Relay.Domain.Rooms;
using Relay.Domain.Sessions;
using StackExchange.Redis;

namespace Relay.Infrastructure.Rooms.Redis;

/// <summary>The replicas: loading, applying channel messages in order, reconciling, dropping.</summary>
public sealed partial class RedisRoomManager
{
    /// <summary>
    /// The replica of <paramref name="roomId"/>, subscribed and loaded, with <paramref name="pending"/> registered
    /// on it (so it is not dropped before the join is applied); null when the room does not exist.
    /// </summary>
    private async Task<RoomReplica?> AcquireReplicaAsync(string roomId, string token, PendingJoin pending)
    {
        while (true)
        {
            var replica = _replicas.GetOrAdd(roomId, id => new RoomReplica(id, ChannelOf(id)));
            Task<bool> loading;
            lock (replica.Sync)
            {
                if (replica.Dropped)
                {
                    continue;
                }

                replica.PendingJoins[token] = pending;
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
                ForgetJoin(replica, token);
                throw;
            }

            if (!exists)
            {
                // No such room: this replica is of no use (and must not answer for a room made later with that id).
                lock (replica.Sync)
                {
                    replica.PendingJoins.Remove(token);
                    if (!replica.Dropped)
                    {
                        DropReplica(replica);
                    }
                }

                return null;
            }

            return replica;
        }
    }

    private async Task<bool> LoadAsync(RoomReplica replica)
    {
        try
        {
            // A dropped replica of the same room may still be unsubscribing: subscribing meanwhile could join
            // the subscription that is going away and lose the channel, so wait for it to finish.
            if (_unsubscribing.TryGetValue(replica.Id, out var unsubscribing))
            {
                await unsubscribing;
            }

            var queue = await Subscriber.SubscribeAsync(replica.Channel);
            replica.Subscription = queue;
            queue.OnMessage(message => OnChannelMessage(replica, message));
            var snapshot = await SnapshotAsync(replica.Id);
            lock (replica.Sync)
            {
                if (snapshot is null)
                {
                    return false;
                }

                replica.Room = BuildRoom(replica.Id, snapshot.Value);
                replica.Seq = snapshot.Value.Seq;
                replica.Ready = true;
                DrainBuffered(replica);
            }

            return true;
        }
        catch (Exception e) when (e is RedisException or RoomStoreUnavailableException)
        {
            lock (replica.Sync)
            {
                replica.Loading = null;
            }

            throw new RoomStoreUnavailableException("Redis is unavailable.", e);
        }
    }

    private void OnChannelMessage(RoomReplica replica, ChannelMessage message)
    {
        if (_crashed)
        {
            return;
        }

        lock (replica.Sync)
        {
            if (replica.Dropped)
            {
                return;
            }

            if (!replica.Ready)
            {
                replica.Buffered.Add(message);
                return;
            }

            try
            {
                Apply(replica, message);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or OverflowException)
            {
                // A message this node cannot apply must not stop the room's channel: reload the room instead.
                LogApplyFailed(_logger, replica.Id, e);
                StartResync(replica);
            }
        }
    }

    private void DrainBuffered(RoomReplica replica)
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

            Apply(replica, message);
        }
    }

    /// <summary>Applies one channel message; runs under the replica's lock, in channel order.</summary>
    private void Apply(RoomReplica replica, ChannelMessage message)
    {
        var bytes = (ReadOnlyMemory<byte>)message.Message;
        var room = replica.Room!;
        if (RelayCodec.TryDecode(bytes, out var origin, out var envelope))
        {
            if (origin != NodeId)
            {
                DeliverRelay(room, envelope);
            }

            return;
        }

        var e = ClusterEvent.Parse(bytes.Span);
        if (e is null || e.Seq <= replica.Seq)
        {
            return; // Not ours, or already part of the snapshot.
        }

        if (e.Seq > replica.Seq + 1)
        {
            // Events were missed (a reconnect): reload the room, then go on from there.
            LogGap(_logger, replica.Id, replica.Seq, e.Seq);
            replica.Buffered.Add(message);
            StartResync(replica);
            return;
        }

        replica.Seq = e.Seq;
        switch (e.Op)
        {
            case 'J':
                ApplyJoin(replica, room, e);
                break;
            case 'L':
                var clientId = e.Int(0);
                _coordinator.ApplyRemove(room, clientId, e.Fields[1], e.Optional(4), e.Fields[2] == "1", e.Int(3) is var h and > 0 ? h : null);
                if (replica.PendingLeaves.Remove(clientId, out var left))
                {
                    left.TrySetResult();
                }

                DropIfIdle(replica);
                break;
            case 'H':
                _coordinator.ApplyHost(room, e.Int(0) is var host and > 0 ? host : null);
                break;
            case 'U':
                room.Update(e.Int(0), e.Fields[1] == "1", RoomMetadata.FromJson(e.Fields[2]));
                break;
            case 'C':
                _coordinator.CloseRoom(room, e.Fields[0], (ushort)e.Int(1), e.Optional(2));
                foreach (var pending in replica.PendingJoins.Values)
                {
                    pending.Completion.TrySetResult(JoinOutcome.RoomNotFound);
                }

                break;
        }
    }

    private void ApplyJoin(RoomReplica replica, Room room, ClusterEvent e)
    {
        var clientId = e.Int(0);
        var node = e.Fields[1];
        var joinedAt = DateTimeOffset.FromUnixTimeMilliseconds(e.Long(2));
        var becomesHost = e.Fields[3] == "1";
        var name = e.Optional(5);
        if (node != NodeId)
        {
            _coordinator.ApplyJoin(room, Session.Remote(node, joinedAt), clientId, name, becomesHost, joinedAt, MessageRef.None);
            return;
        }

        if (replica.PendingJoins.Remove(e.Fields[4], out var pending))
        {
            var joined = _coordinator.ApplyJoin(room, pending.Session, clientId, name, becomesHost, joinedAt, pending.Ref);
            pending.Completion.TrySetResult(joined ? JoinOutcome.Joined : JoinOutcome.AlreadyInRoom);
            return;
        }

        // A seat taken for a joiner that gave up waiting: give it back.
        _ = ReleaseSeatAsync(replica.Id, clientId);
    }

    /// <summary>Delivers a relay to this node's members of <paramref name="room"/> per the room's rules.</summary>
    private static void DeliverRelay(Room room, RelayEnvelope envelope)
    {
        Session? sender = null;
        if (envelope.SenderId != 0 && envelope.To is null)
        {
            sender = room.Find(envelope.SenderId);
            if (sender is null)
            {
                return; // Its sender is not (or no longer) a member here.
            }
        }

        OutboundFrame? frame = null;
        foreach (var member in room.Members)
        {
            if (member.IsRemote || ReferenceEquals(member, sender))
            {
                continue;
            }

            var addressed = envelope.To is null
                ? sender is null || room.Protocol.ReceivesBroadcast(room, sender, member)
                : envelope.To.Contains(member.ClientId);
            if (addressed)
            {
                frame ??= RelayFrames.For(envelope.Kind, envelope.SenderId, envelope.Payload.Span);
                member.TrySendInRoom(room, frame);
            }
        }

        frame?.Release();
    }

    /// <summary>Reloads a replica off the channel's thread; meanwhile its messages are buffered (under its lock).</summary>
    private void StartResync(RoomReplica replica)
    {
        replica.Ready = false;
        _ = Task.Run(() => ResyncAsync(replica));
    }

    private async Task ResyncAsync(RoomReplica replica)
    {
        try
        {
            var snapshot = await SnapshotAsync(replica.Id);
            lock (replica.Sync)
            {
                if (replica.Dropped || replica.Room is not { } room)
                {
                    return;
                }

                if (snapshot is null)
                {
                    _coordinator.CloseRoom(room, RoomClosedReasons.Deleted, CloseCodes.RoomClosed);
                    return;
                }

                Reconcile(replica, room, snapshot.Value);
                replica.Seq = snapshot.Value.Seq;
                replica.Ready = true;
                DrainBuffered(replica);
            }
        }
        catch (Exception e) when (e is RedisException or RoomStoreUnavailableException)
        {
            LogStoreError(_logger, "resync", e.Message);
            lock (replica.Sync)
            {
                // Tried again when the connection comes back.
                replica.Ready = true;
                replica.Buffered.Clear();
            }
        }
    }

    /// <summary>Brings a replica in line with a snapshot, telling this node's members what changed meanwhile.</summary>
    private void Reconcile(RoomReplica replica, Room room, RoomSnapshot snapshot)
    {
        foreach (var member in room.Members.ToArray())
        {
            if (!snapshot.Members.ContainsKey(member.ClientId))
            {
                _coordinator.ApplyRemove(room, member.ClientId, LeaveReasons.Disconnected, null, false, null);
                if (replica.PendingLeaves.Remove(member.ClientId, out var left))
                {
                    left.TrySetResult();
                }
            }
        }

        foreach (var (clientId, entry) in snapshot.Members.OrderBy(m => m.Key))
        {
            if (room.Find(clientId) is not null)
            {
                continue;
            }

            if (entry.Node == NodeId)
            {
                // Ours in Redis but not connected here any more: give the seat back.
                _ = ReleaseSeatAsync(replica.Id, clientId);
                continue;
            }

            _coordinator.ApplyJoin(room, Session.Remote(entry.Node, entry.JoinedAt), clientId, entry.Name, false, entry.JoinedAt, MessageRef.None);
        }

        if (room.HostId != snapshot.HostId)
        {
            _coordinator.ApplyHost(room, snapshot.HostId);
        }

        room.Update(snapshot.MaxClients, snapshot.Locked, snapshot.Metadata);
        DropIfIdle(replica);
    }

    private async Task ResyncAfterOutageAsync()
    {
        // First tell the cluster: no node is taken for dead until the others have had time to reconnect too.
        try
        {
            await Db.ScriptEvaluateAsync(RedisScripts.Recovered, values: [_prefix]);
        }
        catch (RedisException e)
        {
            LogStoreError(_logger, "recovery", e.Message);
        }

        while (_orphans.TryDequeue(out var orphan))
        {
            await ReleaseSeatAsync(orphan.RoomId, orphan.ClientId);
        }

        foreach (var replica in _replicas.Values)
        {
            lock (replica.Sync)
            {
                if (replica.Dropped || replica.Room is null)
                {
                    continue;
                }

                replica.Ready = false;
            }

            await ResyncAsync(replica);
        }
    }

    /// <summary>Removes a member here only (Redis unreachable, or it was already gone there).</summary>
    private bool RemoveLocally(RoomReplica? replica, Room room, int clientId, string reason)
    {
        if (replica is null)
        {
            return _coordinator.ApplyRemove(room, clientId, reason, null, false, null);
        }

        lock (replica.Sync)
        {
            replica.PendingLeaves.Remove(clientId);
            var removed = _coordinator.ApplyRemove(room, clientId, reason, null, false, null);
            DropIfIdle(replica);
            return removed;
        }
    }

    private void ForgetJoin(RoomReplica replica, string token)
    {
        lock (replica.Sync)
        {
            replica.PendingJoins.Remove(token);
            DropIfIdle(replica);
        }
    }

    /// <summary>
    /// Notes when no member or joiner of this node needs a replica any more (under its lock). An idle replica
    /// stays subscribed for <see cref="IdleReplicaLinger"/>, so that clients coming and going do not cost a
    /// subscription and a reload each time; <see cref="DropIdleReplicas"/> drops it after that.
    /// </summary>
    private void DropIfIdle(RoomReplica replica)
    {
        if (replica.Dropped || replica.PendingJoins.Count > 0 || replica.PendingLeaves.Count > 0 || replica.HasLocalMembers)
        {
            replica.IdleSince = null;
            return;
        }

        replica.IdleSince ??= _time.GetUtcNow();
    }

    /// <summary>Drops the replicas idle for longer than <see cref="IdleReplicaLinger"/>; returns how many.</summary>
    internal int DropIdleReplicas()
    {
        var now = _time.GetUtcNow();
        var dropped = 0;
        foreach (var replica in _replicas.Values)
        {
            lock (replica.Sync)
            {
                DropIfIdle(replica);
                if (!replica.Dropped && replica.IdleSince is { } since && now - since >= IdleReplicaLinger
                    && replica.Loading is not { IsCompleted: false })
                {
                    DropReplica(replica);
                    dropped++;
                }
            }
        }

        return dropped;
    }

    private void DropReplica(RoomReplica replica)
    {
        replica.Dropped = true;

        // The unsubscription is announced before the replica leaves the map: a join that then makes a new
        // replica of the same room waits for it before subscribing (see LoadAsync).
        var unsubscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _unsubscribing[replica.Id] = unsubscribed.Task;
        _replicas.TryRemove(new KeyValuePair<string, RoomReplica>(replica.Id, replica));
        _ = UnsubscribeAsync(replica.Id, replica.Subscription, unsubscribed);
    }

    private async Task UnsubscribeAsync(string roomId, ChannelMessageQueue? subscription, TaskCompletionSource unsubscribed)
    {
        if (subscription is not null)
        {
            await UnsubscribeQuietlyAsync(subscription);
        }

        _unsubscribing.TryRemove(new KeyValuePair<string, Task>(roomId, unsubscribed.Task));
        unsubscribed.TrySetResult();
    }

    private static async Task UnsubscribeQuietlyAsync(ChannelMessageQueue subscription)
    {
        try
        {
            await subscription.UnsubscribeAsync();
        }
        catch (RedisException)
        {
            // The connection is gone: so is the subscription.
        }
    }

    /// <summary>The coordinator's hook when a replica's room closes: the replica goes.</summary>
    private bool Drop(Room room)
    {
        if (_replicas.TryGetValue(room.Id, out var replica) && ReferenceEquals(replica.Room, room))
        {
            DropReplica(replica);
            return true;
        }

        return false;
    }
}
