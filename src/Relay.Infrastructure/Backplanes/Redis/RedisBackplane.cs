using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Options;
using Relay.Application.Protocols;
using Relay.Application.Webhooks;
using Relay.Domain.Rooms;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>
/// The cluster backplane: Redis stores the rooms and orders their events, each room's channel carries its events and
/// relays to every node holding a copy (<see cref="RoomReplicas"/>). A commit is refused by Redis when the decision
/// was based on an out-of-date copy (then the copy catches up and the room manager decides again) or when it arrives
/// after its deadline; it returns once the event has come back and been applied to this node's copy.
/// </summary>
public sealed partial class RedisBackplane : IRoomBackplane, IAsyncDisposable
{
    private readonly RedisConnection _redis;
    private readonly RedisKeys _keys;
    private readonly RoomStore _store;
    private readonly RoomReplicas _replicas;
    private readonly RelayStats _stats;
    private readonly ILogger<RedisBackplane> _logger;
    private IRoomEventSink? _sink;

    public RedisBackplane(NodeIdentity node, ProtocolRegistry protocols, RelayStats stats, IOptions<RelayOptions> options, IOptions<RedisOptions> redis, TimeProvider timeProvider, ILogger<RedisBackplane> logger, WebhookPayloads? webhooks = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(redis);
        NodeId = node.Id;
        Options = redis.Value;
        _stats = stats;
        _logger = logger;
        _keys = new RedisKeys(Options.KeyPrefix);
        _redis = new RedisConnection(Options, NodeId, timeProvider, logger);
        Webhooks = webhooks is null ? null : new WebhookStreams(_keys, webhooks, options.Value.Webhooks.MaxQueuedEvents);
        var relays = new RoomRelayCounts(NodeId);
        _store = new RoomStore(_redis, _keys, protocols, options.Value.Resume, relays, Webhooks);
        _replicas = new RoomReplicas(_redis, _store, relays, node, stats, timeProvider, logger);
        Liveness = new NodeLiveness(_redis, _keys, NodeId, stats, relays);
        _redis.SubscriptionRestored += () => _replicas.ResyncAll("reconnect");
    }

    public string NodeId { get; }

    public bool IsShared => true;

    public bool IsAvailable => _redis.IsAvailable;

    public IReadOnlyCollection<Room> Held => _replicas.WithLocalMembers;

    internal RedisOptions Options { get; }

    internal RedisConnection Connection => _redis;

    internal RedisKeys Keys => _keys;

    internal RoomReplicas Replicas => _replicas;

    /// <summary>The cluster's webhook streams; null when webhooks are off.</summary>
    internal WebhookStreams? Webhooks { get; }

    private IRoomEventSink Sink => _sink ?? throw new InvalidOperationException("No event sink is attached.");

    public void Attach(IRoomEventSink sink)
    {
        _sink = sink;
        _replicas.Attach(sink);
    }

    /// <summary>Raised when the interactive connection is back after an outage (the maintenance replays what it must).</summary>
    internal event Action? Restored
    {
        add => _redis.Restored += value;
        remove => _redis.Restored -= value;
    }

    /// <summary>Connects (the node starts not ready when Redis is down, and becomes ready when it answers).</summary>
    public async Task ConnectAsync()
    {
        await _redis.ConnectAsync();
        LogStarted(_logger, NodeId, _keys.Prefix, _redis.IsAvailable);
    }

    public async ValueTask<CreateRoomStatus> CreateAsync(Room room, int maxRooms, CancellationToken cancellationToken)
    {
        try
        {
            return await _store.CreateAsync(room, maxRooms);
        }
        catch (RoomStoreUnavailableException)
        {
            return CreateRoomStatus.Unavailable;
        }
    }

    public async ValueTask<Room?> ReadAsync(string roomId, CancellationToken cancellationToken)
    {
        var snapshot = await _store.SnapshotAsync(roomId);
        return snapshot is null ? null : Sink.Build(snapshot, live: false);
    }

    public async ValueTask<RoomPage> ListAsync(int offset, int limit, CancellationToken cancellationToken) =>
        await _store.ListAsync(offset, limit, s => Sink.Build(s, live: false));

    public async ValueTask<RoomTotals> TotalsAsync(CancellationToken cancellationToken)
    {
        // The other nodes' relay counts; the summary adds this node's own, live.
        var (rooms, clients, byProtocol, messages, bytes) = await _store.TotalsAsync(NodeId);
        return new RoomTotals(rooms, clients, byProtocol, messages, bytes);
    }

    internal NodeLiveness Liveness { get; }

    public async ValueTask<Room?> AcquireAsync(string roomId, CancellationToken cancellationToken) =>
        await _replicas.AcquireAsync(roomId);

    public void Release(Room room) => _replicas.Release(room);

    public async ValueTask<CommitResult> CommitAsync(Room room, RoomEvent roomEvent, long version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(roomEvent);
        var replica = _replicas.Of(room);
        if (replica is null)
        {
            return await CommitReadOnlyAsync(room, roomEvent, version);
        }

        if (!await replica.CommitLock.WaitAsync(_redis.Budget * 2, cancellationToken))
        {
            return CommitResult.Unavailable;
        }

        try
        {
            if (room.Version != version)
            {
                return CommitResult.Conflict;
            }

            var answer = await _store.CommitAsync(room, roomEvent, version, StoredEffects.For(_keys, NodeId, room, roomEvent));
            switch (answer.Result)
            {
                case StoreResult.Committed:
                    await CatchUpAsync(replica, answer.Seq + roomEvent.Width - 1, version + 1);
                    return CommitResult.Committed(answer.Seq);
                case StoreResult.OutOfDate:
                    await CatchUpAsync(replica, 0, answer.Version);
                    return CommitResult.Conflict;
                case StoreResult.RoomGone:
                    _replicas.StartResync(replica, "commit");
                    return CommitResult.RoomGone;
                default:
                    return CommitResult.Unavailable;
            }
        }
        finally
        {
            replica.CommitLock.Release();
        }
    }

    public async ValueTask<bool> RefreshAsync(Room room, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        if (_replicas.Of(room) is not { } replica)
        {
            return false;
        }

        var stored = await _store.VersionAsync(room.Id);
        if (stored <= room.Version)
        {
            return false;
        }

        await CatchUpAsync(replica, 0, stored);
        return true;
    }

    public async ValueTask<ResumeCommit> CommitResumeAsync(Room room, MemberBack back, long version, long afterSeq, long clientSeq, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(back);
        var replica = _replicas.Of(room);
        if (replica is null || !await replica.CommitLock.WaitAsync(_redis.Budget * 2, cancellationToken))
        {
            return new ResumeCommit(ResumeCommitStatus.Unavailable, null);
        }

        try
        {
            if (room.Version != version)
            {
                return new ResumeCommit(ResumeCommitStatus.Conflict, null);
            }

            StoreAnswer answer;
            try
            {
                answer = await _store.CommitResumeAsync(room, back, version, StoredEffects.For(_keys, NodeId, room, back), afterSeq, clientSeq);
            }
            catch (RoomStoreUnavailableException)
            {
                return new ResumeCommit(ResumeCommitStatus.Unavailable, null);
            }

            switch (answer.Result)
            {
                case StoreResult.Committed:
                    var missed = HistoryFrames.For(answer.History!, back.ClientId, afterSeq);
                    await CatchUpAsync(replica, answer.Seq + back.Width - 1, version + 1);
                    return new ResumeCommit(ResumeCommitStatus.Committed, missed);
                case StoreResult.OutOfDate:
                    await CatchUpAsync(replica, 0, answer.Version);
                    return new ResumeCommit(ResumeCommitStatus.Conflict, null);
                case StoreResult.SeqAhead:
                    return new ResumeCommit(ResumeCommitStatus.SeqAhead, null);
                case StoreResult.HistoryGap:
                    return new ResumeCommit(ResumeCommitStatus.HistoryGap, null);
                case StoreResult.RoomGone:
                    return new ResumeCommit(ResumeCommitStatus.RoomGone, null);
                default:
                    return new ResumeCommit(ResumeCommitStatus.Unavailable, null);
            }
        }
        finally
        {
            replica.CommitLock.Release();
        }
    }

    public void Forward(Room room, in RelayMessage relay)
    {
        ArgumentNullException.ThrowIfNull(room);
        long counter = 0;
        if (_replicas.Of(room) is { } replica)
        {
            lock (replica.Sync)
            {
                counter = ++replica.PublishedRelays;
            }
        }

        if (!_redis.TryPublish(_keys.Channel(room.Id), RoomEventCodec.EncodeRelay(NodeId, counter, relay)))
        {
            _stats.RecordDrop();
        }
    }

    public bool Sequence(Room room, in RelayMessage relay, IRelayReceipt? receipt)
    {
        ArgumentNullException.ThrowIfNull(room);
        if (!_redis.IsAvailable)
        {
            return false;
        }

        // The payload is a slice of the sender's receive buffer: copied, since the script is written later.
        var copy = relay with { Payload = relay.Payload.ToArray() };
        var sequenced = _store.SequenceAsync(room, copy);
        if (receipt is not null || !sequenced.IsCompleted)
        {
            _ = ReportAsync(sequenced, copy, receipt);
        }

        return true;
    }

    private async Task ReportAsync(Task<long> sequenced, RelayMessage relay, IRelayReceipt? receipt)
    {
        long seq;
        try
        {
            seq = await sequenced;
        }
        catch (RoomStoreUnavailableException)
        {
            seq = RoomStore.DeadlinePassedSeq;
        }

        if (seq == RoomStore.DeadlinePassedSeq)
        {
            _stats.RecordDrop();
            receipt?.Refused(relay);
        }
        else
        {
            receipt?.Taken();
        }
    }

    /// <summary>The periodic check of every copy against the stored sequence (see <see cref="RoomReplicas.CheckAsync"/>).</summary>
    internal Task CheckReplicasAsync() => _replicas.CheckAsync();

    internal int DropIdleReplicas() => _replicas.DropIdle();

    public async ValueTask DisposeAsync()
    {
        _replicas.DropAll();
        await _redis.DisposeAsync();
    }

    /// <summary>A commit on a read-only copy (maintenance, a dead node's members): nothing here to wait for; refreshed on conflict.</summary>
    private async ValueTask<CommitResult> CommitReadOnlyAsync(Room room, RoomEvent roomEvent, long version)
    {
        var answer = await _store.CommitAsync(room, roomEvent, version, StoredEffects.For(_keys, NodeId, room, roomEvent));
        switch (answer.Result)
        {
            case StoreResult.Committed:
                return CommitResult.Committed(answer.Seq);
            case StoreResult.OutOfDate:
                if (await _store.SnapshotAsync(room.Id) is not { } snapshot)
                {
                    return CommitResult.RoomGone;
                }

                Sink.Reconcile(room, snapshot, live: false);
                return CommitResult.Conflict;
            case StoreResult.RoomGone:
                return CommitResult.RoomGone;
            default:
                return CommitResult.Unavailable;
        }
    }

    /// <summary>
    /// Waits for the copy to apply what Redis has. The channel brings an event in milliseconds; when it has not come
    /// soon, it was lost (a dropped subscription): the copy reloads (from the history in a sequenced room, as if live)
    /// and the wait goes on within the budget.
    /// </summary>
    private async Task CatchUpAsync(Replica replica, long seq, long version)
    {
        var caughtUp = _replicas.WaitForAsync(replica, seq, version);
        try
        {
            await caughtUp.WaitAsync(ChannelPatience);
        }
        catch (TimeoutException)
        {
            _replicas.StartResync(replica, "commit");
            try
            {
                await caughtUp.WaitAsync(_redis.Budget);
            }
            catch (TimeoutException)
            {
                // The copy is still behind; the next check reloads it again.
            }
        }
    }

    /// <summary>How long a committed event may take to come back on the channel before it is taken for lost.</summary>
    private static readonly TimeSpan ChannelPatience = TimeSpan.FromMilliseconds(300);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster node {NodeId} on Redis (prefix {Prefix}), ready: {Ready}")]
    private static partial void LogStarted(ILogger logger, string nodeId, string prefix, bool ready);
}
