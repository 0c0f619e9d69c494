using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Options;
using Relay.Application.Protocols;
using Relay.Application.Realtime;
using Relay.Application.Realtime.Frames;
using Relay.Application.Realtime.Parsing;
using Relay.Domain.Rooms;
using Relay.Domain.Sessions;
using StackExchange.Redis;

namespace Relay.Infrastructure.Rooms.Redis;

/// <summary>
/// The cluster room manager. Redis holds the authoritative state (registry, members, host) and every change is
/// one Lua script that also publishes an event on the room's channel; each node keeps a <see cref="RoomReplica"/>
/// of the rooms its clients are in and applies the events in channel order, so all nodes see the same sequence.
/// Relays are delivered at once to this node's members and published once on the room's channel for the others.
/// </summary>
public sealed partial class RedisRoomManager : IRoomManager, IAsyncDisposable
{
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a replica no local client needs stays subscribed before it is dropped.</summary>
    internal static readonly TimeSpan IdleReplicaLinger = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, RoomReplica> _replicas = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string RoomId, int ClientId)> _orphans = new();
    private readonly ConcurrentDictionary<string, Task> _unsubscribing = new(StringComparer.Ordinal);
    private readonly RoomFactory _factory;
    private readonly ProtocolRegistry _protocols;
    private readonly RelayStats _stats;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisRoomManager> _logger;
    private readonly RoomCoordinator _coordinator;
    private readonly RedisOptions _options;
    private readonly string _prefix;
    private ConnectionMultiplexer? _redis;
    private long _lastToken;
    private volatile bool _crashed;

    public RedisRoomManager(
        RoomFactory factory,
        ProtocolRegistry protocols,
        RelayStats stats,
        IOptions<RelayOptions> options,
        TimeProvider timeProvider,
        ILogger<RedisRoomManager> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _factory = factory;
        _protocols = protocols;
        _stats = stats;
        _time = timeProvider;
        _logger = logger;
        _options = options.Value.Redis;
        _prefix = _options.KeyPrefix;
        NodeId = _options.NodeId ?? $"{Environment.MachineName}-{RoomFactory.NewToken(6)}".Replace('|', '-');
        _coordinator = new RoomCoordinator(timeProvider, logger, Drop);
    }

    /// <summary>This node's id in the cluster.</summary>
    public string NodeId { get; }

    public bool IsAvailable => !_crashed && _redis is { IsConnected: true };

    private IDatabase Db => (_redis ?? throw new RoomStoreUnavailableException("Redis is not connected yet.")).GetDatabase();

    private ISubscriber Subscriber => (_redis ?? throw new RoomStoreUnavailableException("Redis is not connected yet.")).GetSubscriber();

    /// <summary>Connects (retrying in the background when Redis is not up yet: the node starts not ready).</summary>
    public async Task ConnectAsync()
    {
        var configuration = ConfigurationOptions.Parse(_options.ConnectionString);
        configuration.AbortOnConnectFail = false;

        // Reconnect on a short fixed schedule, so that after an outage the nodes come back close together.
        configuration.ReconnectRetryPolicy = new LinearRetry(500);
        configuration.ClientName = "relay-" + NodeId;
        _redis = await ConnectionMultiplexer.ConnectAsync(configuration);
        _redis.ConnectionFailed += (_, e) => LogConnectionFailed(_logger, e.EndPoint?.ToString() ?? "?", e.FailureType.ToString());
        _redis.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                LogConnectionRestored(_logger, e.EndPoint?.ToString() ?? "?");
                _ = Task.Run(ResyncAfterOutageAsync);
            }
        };
        LogStarted(_logger, NodeId, _prefix, _redis.IsConnected);
    }

    // ---- Registry ---------------------------------------------------------------------------------------

    public async ValueTask<CreateRoomOutcome> CreateAsync(RoomSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        while (true)
        {
            var created = _factory.Create(spec);
            var room = created.Room;
            var hostLeft = room.Protocol.OnHostLeft(room) switch
            {
                HostLeftAction.CloseRoom => "close",
                HostLeftAction.PassToLongestConnected => "pass",
                _ => "none",
            };
            var result = (long)await EvalAsync(RedisScripts.Create, room.Id, [
                Convert.ToHexString(SecretHash.Digest(created.Secret)),
                Convert.ToHexString(SecretHash.Digest(created.HostSecret)),
                room.Protocol.Name,
                room.HostAssignment == HostAssignment.Secret ? "secret" : "first",
                room.MaxClients,
                room.Metadata.ToString(),
                hostLeft,
                spec.MaxRooms]);
            if (result == -2)
            {
                return new CreateRoomOutcome(CreateRoomStatus.LimitReached, null);
            }

            if (result == -1)
            {
                if (spec.Id is not null)
                {
                    return new CreateRoomOutcome(CreateRoomStatus.IdTaken, null);
                }

                continue; // A generated id collided: draw again.
            }

            // The room as stored, with Redis' clock for its creation time.
            var view = new Room(room.Id, SecretHash.Of(created.Secret), SecretHash.Of(created.HostSecret), room.Protocol,
                room.HostAssignment, room.MaxClients, room.Metadata, DateTimeOffset.FromUnixTimeMilliseconds(result));
            return new CreateRoomOutcome(CreateRoomStatus.Created, created with { Room = view });
        }
    }

    public async ValueTask<Room?> FindAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        var snapshot = await SnapshotAsync(id);
        return snapshot is null ? null : BuildRoom(id, snapshot.Value, localSessions: null);
    }

    public async ValueTask<RoomPage> ListAsync(int offset, int limit, CancellationToken cancellationToken)
    {
        var key = (RedisKey)(_prefix + ":rooms");
        var ids = await Guard(() => Db.SortedSetRangeByRankAsync(key, offset, offset + limit - 1));
        var total = await Guard(() => Db.SortedSetLengthAsync(key));
        var snapshots = await Task.WhenAll(ids.Select(id => SnapshotAsync(id.ToString())));
        var rooms = new List<Room>(ids.Length);
        for (var i = 0; i < ids.Length; i++)
        {
            if (snapshots[i] is { } snapshot)
            {
                rooms.Add(BuildRoom(ids[i].ToString(), snapshot, localSessions: null));
            }
        }

        return new RoomPage(rooms, (int)total);
    }

    public async ValueTask<RoomTotals> GetTotalsAsync(CancellationToken cancellationToken)
    {
        var rooms = await Guard(() => Db.SortedSetLengthAsync(_prefix + ":rooms"));
        var totals = await Guard(() => Db.HashGetAllAsync(_prefix + ":totals"));
        var stats = await Guard(() => Db.HashGetAllAsync(_prefix + ":stats"));
        var clients = 0;
        var byProtocol = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in totals)
        {
            var name = entry.Name.ToString();
            if (name == "clients")
            {
                clients = (int)entry.Value;
            }
            else if (name.StartsWith("proto:", StringComparison.Ordinal))
            {
                byProtocol[name["proto:".Length..]] = (int)entry.Value;
            }
        }

        long messages = 0;
        long bytes = 0;
        foreach (var entry in stats)
        {
            if (entry.Name.ToString() != NodeId && entry.Value.ToString().Split('|') is [var m, var b])
            {
                messages += long.Parse(m, CultureInfo.InvariantCulture);
                bytes += long.Parse(b, CultureInfo.InvariantCulture);
            }
        }

        return new RoomTotals((int)rooms, clients, byProtocol, messages, bytes);
    }

    public async ValueTask<Room?> UpdateAsync(string id, RoomUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var result = (long)await EvalAsync(RedisScripts.Update, id, [
            update.MaxClients?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
            update.Locked is { } locked ? (locked ? "1" : "0") : string.Empty,
            update.Metadata?.ToString() ?? string.Empty]);
        return result == 1 ? await FindAsync(id, cancellationToken) : null;
    }

    // ---- Membership -------------------------------------------------------------------------------------

    public async ValueTask<JoinOutcome> JoinAsync(JoinRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IsAvailable)
        {
            return JoinOutcome.Unavailable;
        }

        try
        {
            var secrets = await Db.HashGetAsync(RoomKey(request.RoomId), ["sec", "hsec"]);
            if (secrets[0].IsNull || secrets[1].IsNull)
            {
                return JoinOutcome.RoomNotFound;
            }

            // Both comparisons always run, in constant time.
            var member = CryptographicOperations.FixedTimeEquals(Convert.FromHexString(secrets[0].ToString()), request.SecretDigest);
            var host = CryptographicOperations.FixedTimeEquals(Convert.FromHexString(secrets[1].ToString()), request.SecretDigest);
            if (!member && !host)
            {
                return JoinOutcome.InvalidSecret;
            }

            var token = NodeId + ":" + Interlocked.Increment(ref _lastToken).ToString(CultureInfo.InvariantCulture);
            var pending = new PendingJoin(request.Session, new MessageRef(request.Ref.RawJson.ToArray()));
            var replica = await AcquireReplicaAsync(request.RoomId, token, pending);
            if (replica is null)
            {
                return JoinOutcome.RoomNotFound;
            }

            long result;
            try
            {
                result = (long)await EvalAsync(RedisScripts.Join, request.RoomId,
                    [NodeId, token, Flagged.Encode(request.Name), host ? "1" : "0"]);
            }
            catch (RoomStoreUnavailableException)
            {
                ForgetJoin(replica, token);
                return JoinOutcome.Unavailable;
            }

            if (result < 0)
            {
                ForgetJoin(replica, token);
                return result switch
                {
                    -2 => JoinOutcome.Locked,
                    -3 => JoinOutcome.Full,
                    _ => JoinOutcome.RoomNotFound,
                };
            }

            try
            {
                return await pending.Completion.Task.WaitAsync(ApplyTimeout, _time, cancellationToken);
            }
            catch (TimeoutException)
            {
                // The join event never came back: undo the seat rather than leave a ghost member.
                ForgetJoin(replica, token);
                await TryEvalAsync(RedisScripts.Leave, request.RoomId, [(int)result, LeaveReasons.Disconnected, Flagged.Encode(null), 0]);
                return JoinOutcome.Unavailable;
            }
        }
        catch (Exception e) when (e is RedisException or RoomStoreUnavailableException)
        {
            LogStoreError(_logger, "join", e.Message);
            return JoinOutcome.Unavailable;
        }
    }

    public async ValueTask<bool> LeaveAsync(Session session, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var room = session.Room;
        var clientId = session.ClientId;
        if (room is null || clientId == 0)
        {
            return false;
        }

        if (_crashed)
        {
            return true;
        }

        if (!_replicas.TryGetValue(room.Id, out var replica) || !ReferenceEquals(replica.Room, room))
        {
            return RemoveLocally(null, room, clientId, reason);
        }

        var applied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (replica.Sync)
        {
            replica.PendingLeaves[clientId] = applied;
        }

        try
        {
            var result = (long)await EvalAsync(RedisScripts.Leave, room.Id, [clientId, reason, Flagged.Encode(null), 0]);
            if (result == 1)
            {
                await applied.Task.WaitAsync(ApplyTimeout, _time, CancellationToken.None);
                return true;
            }
        }
        catch (Exception e) when (e is RedisException or RoomStoreUnavailableException)
        {
            // Redis is out: the member leaves here now, and the cluster is told when Redis is back.
            _orphans.Enqueue((room.Id, clientId));
        }
        catch (TimeoutException)
        {
            // The event did not come back in time: apply the departure here; a resync reconciles the rest.
        }

        return RemoveLocally(replica, room, clientId, reason);
    }

    public async ValueTask<MemberChange> KickAsync(Room room, int clientId, string reason, Session? byHost, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        try
        {
            var result = (long)await EvalAsync(RedisScripts.Leave, room.Id,
                [clientId, LeaveReasons.Kicked, Flagged.Encode(reason), byHost?.ClientId ?? 0]);
            return MemberResult(result);
        }
        catch (RoomStoreUnavailableException)
        {
            return MemberChange.Unavailable;
        }
    }

    public async ValueTask<MemberChange> TransferHostAsync(Session host, int clientId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var room = host.Room;
        if (room is null)
        {
            return MemberChange.RoomNotFound;
        }

        try
        {
            return MemberResult((long)await EvalAsync(RedisScripts.Transfer, room.Id, [host.ClientId, clientId]));
        }
        catch (RoomStoreUnavailableException)
        {
            return MemberChange.Unavailable;
        }
    }

    public async ValueTask<MemberChange> CloseAsync(Room room, string reason, ushort closeCode, string? message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        try
        {
            var result = (long)await EvalAsync(RedisScripts.Close, room.Id, [reason, (int)closeCode, Flagged.Encode(message), 0, "0"]);
            return result == 1 ? MemberChange.Done : MemberChange.RoomNotFound;
        }
        catch (RoomStoreUnavailableException)
        {
            return MemberChange.Unavailable;
        }
    }

    public void Forward(Room room, RelayEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(room);
        if (_crashed)
        {
            return;
        }

        // A relay that did not start from this node's replica (a REST push) still reaches this node's members.
        if (_replicas.TryGetValue(room.Id, out var replica) && !ReferenceEquals(replica.Room, room))
        {
            lock (replica.Sync)
            {
                if (replica.Ready && replica.Room is not null)
                {
                    DeliverRelay(replica.Room, envelope);
                }
            }
        }

        if (_redis is not { IsConnected: true } redis)
        {
            _stats.RecordDrop();
            return;
        }

        try
        {
            redis.GetSubscriber().Publish(ChannelOf(room.Id), RelayCodec.Encode(NodeId, envelope), CommandFlags.FireAndForget);
        }
        catch (RedisException)
        {
            _stats.RecordDrop();
        }
    }

    public async ValueTask<int> ShutdownAsync(CancellationToken cancellationToken)
    {
        var rooms = 0;
        foreach (var replica in _replicas.Values)
        {
            Session[] locals;
            lock (replica.Sync)
            {
                locals = replica.Room is null ? [] : [.. replica.Room.Members.ToArray().Where(m => !m.IsRemote)];
            }

            if (locals.Length == 0)
            {
                continue;
            }

            rooms++;
            var frame = ServerFrames.RoomClosed(RoomClosedReasons.Shutdown, null);
            foreach (var session in locals)
            {
                var clientId = session.ClientId;
                session.TrySend(frame);
                session.Close(CloseCodes.GoingAway, "server shutting down");
                await TryEvalAsync(RedisScripts.Leave, replica.Id, [clientId, LeaveReasons.Disconnected, Flagged.Encode(null), 0]);
            }

            frame.Release();
        }

        if (IsAvailable)
        {
            await Guard(() => Db.SortedSetRemoveAsync(_prefix + ":nodes", NodeId));
        }

        return rooms;
    }

    /// <summary>The rooms this node has clients in (replicas kept only for a while after their last local client are left out).</summary>
    public IReadOnlyCollection<Room> Snapshot() =>
        [.. _replicas.Values.Where(r => r.HasLocalMembers).Select(r => r.Room).OfType<Room>()];

    // ---- Replicas ---------------------------------------------------------------------------------------

    /// <summary>
    /// The replica of <paramref name="roomId"/>, subscribed and loaded, with <paramref name="pending"/> registered
    /// on it (so it is not dropped before the join is applied); null when the room does not exist.
    /// </summary>
    private async Task<RoomReplica?> AcquireReplicaAsync(string roomId, string token, PendingJoin pending)
    {
        while (true)
        {
            var replica = _replicas.GetOrAdd(roomId, id => new RoomReplica(id));
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

            var queue = await Subscriber.SubscribeAsync(ChannelOf(replica.Id));
            replica.Subscription = queue;
            queue.OnMessage(message => OnChannelMessage(replica, message));
            var snapshot = await SnapshotAsync(replica.Id);
            lock (replica.Sync)
            {
                if (snapshot is null)
                {
                    return false;
                }

                replica.Room = BuildRoom(replica.Id, snapshot.Value, localSessions: null);
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
                replica.Ready = false;
                _ = Task.Run(() => ResyncAsync(replica));
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
            replica.Ready = false;
            replica.Buffered.Add(message);
            _ = Task.Run(() => ResyncAsync(replica));
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
        _ = TryEvalAsync(RedisScripts.Leave, replica.Id, [clientId, LeaveReasons.Disconnected, Flagged.Encode(null), 0]);
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
                _ = TryEvalAsync(RedisScripts.Leave, replica.Id, [clientId, LeaveReasons.Disconnected, Flagged.Encode(null), 0]);
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
            await TryEvalAsync(RedisScripts.Leave, orphan.RoomId, [orphan.ClientId, LeaveReasons.Disconnected, Flagged.Encode(null), 0]);
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

    private void ForgetJoin(RoomReplica replica, string token, bool dropWhenIdle = true)
    {
        lock (replica.Sync)
        {
            replica.PendingJoins.Remove(token);
            if (dropWhenIdle)
            {
                DropIfIdle(replica);
            }
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

    // ---- Cluster maintenance (driven by RedisClusterService) ------------------------------------------

    internal Task<RedisResult> HeartbeatAsync() =>
        Db.ScriptEvaluateAsync(RedisScripts.Heartbeat, values: [_prefix, NodeId, $"{_stats.MessagesRelayed}|{_stats.BytesRelayed}"]);

    /// <summary>Removes the members of nodes silent for longer than <paramref name="deadAfter"/>; returns how many.</summary>
    internal async Task<int> RemoveDeadNodesMembersAsync(TimeSpan deadAfter, TimeSpan recoveryGrace)
    {
        var claimed = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.ClaimDeadNodes,
            values: [_prefix, NodeId, (long)deadAfter.TotalMilliseconds, (long)recoveryGrace.TotalMilliseconds]))!;
        var removed = 0;
        foreach (var entry in claimed)
        {
            var text = entry.ToString();
            var bar = text.LastIndexOf('|');
            if (bar > 0 && int.TryParse(text.AsSpan(bar + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var clientId))
            {
                var result = (long)await Db.ScriptEvaluateAsync(RedisScripts.Leave,
                    values: [_prefix, text[..bar], clientId, LeaveReasons.Disconnected, Flagged.Encode(null), 0]);
                removed += result == 1 ? 1 : 0;
            }
        }

        if (removed > 0)
        {
            LogDeadNodeMembers(_logger, removed);
        }

        return removed;
    }

    /// <summary>Closes rooms empty for longer than <paramref name="ttl"/> (`room_closed` `expired`); returns how many.</summary>
    internal async Task<int> ExpireEmptyRoomsAsync(TimeSpan ttl)
    {
        var ids = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.ExpiredRooms, values: [_prefix, (long)ttl.TotalMilliseconds]))!;
        var expired = 0;
        foreach (var id in ids)
        {
            var result = (long)await Db.ScriptEvaluateAsync(RedisScripts.Close,
                values: [_prefix, id.ToString(), RoomClosedReasons.Expired, (int)CloseCodes.RoomClosed, Flagged.Encode(null), 0, "1"]);
            expired += result == 1 ? 1 : 0;
        }

        return expired;
    }

    /// <summary>
    /// Test hook: the node stops as if its process died: no heartbeats, no more events, its connections dropped,
    /// its members left in Redis for the surviving nodes to remove.
    /// </summary>
    internal void SimulateCrash()
    {
        _crashed = true;
        foreach (var replica in _replicas.Values)
        {
            lock (replica.Sync)
            {
                if (replica.Room is not null)
                {
                    foreach (var member in replica.Room.Members)
                    {
                        member.Close(CloseCodes.GoingAway, "node crashed");
                    }
                }
            }
        }

        _redis?.GetSubscriber().UnsubscribeAll(CommandFlags.FireAndForget);
    }

    internal bool IsCrashed => _crashed;

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    // ---- Helpers ----------------------------------------------------------------------------------------

    private RedisKey RoomKey(string id) => $"{_prefix}:r:{id}";

    private RedisChannel ChannelOf(string id) => RedisChannel.Literal($"{_prefix}:c:{id}");

    private async Task<RedisResult> EvalAsync(string script, string roomId, RedisValue[] args)
    {
        var values = new RedisValue[args.Length + 2];
        values[0] = _prefix;
        values[1] = roomId;
        args.CopyTo(values, 2);
        return await Guard(() => Db.ScriptEvaluateAsync(script, values: values));
    }

    private async Task TryEvalAsync(string script, string roomId, RedisValue[] args)
    {
        try
        {
            await EvalAsync(script, roomId, args);
        }
        catch (RoomStoreUnavailableException e)
        {
            LogStoreError(_logger, "cleanup", e.Message);
        }
    }

    private async Task<T> Guard<T>(Func<Task<T>> call)
    {
        if (_crashed)
        {
            throw new RoomStoreUnavailableException("This node is stopped.");
        }

        try
        {
            return await call();
        }
        catch (RedisException e)
        {
            throw new RoomStoreUnavailableException("Redis is unavailable: " + e.Message, e);
        }
    }

    private static MemberChange MemberResult(long result) => result switch
    {
        1 => MemberChange.Done,
        -1 => MemberChange.RoomNotFound,
        -2 => MemberChange.NotHost,
        _ => MemberChange.UnknownClient,
    };

    private async Task<RoomSnapshot?> SnapshotAsync(string id)
    {
        var result = await EvalAsync(RedisScripts.Snapshot, id, []);
        if (result.IsNull)
        {
            return null;
        }

        var parts = (RedisResult[])result!;
        var fields = Pairs((RedisResult[])parts[0]!);
        var members = new SortedDictionary<int, MemberEntry>();
        foreach (var (key, value) in Pairs((RedisResult[])parts[1]!))
        {
            var segments = value.Split('|', 3);
            members[int.Parse(key, CultureInfo.InvariantCulture)] = new MemberEntry(
                segments[0],
                DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(segments[1], CultureInfo.InvariantCulture)),
                Flagged.Decode(segments[2]));
        }

        return new RoomSnapshot(
            Convert.FromHexString(fields["sec"]),
            Convert.FromHexString(fields["hsec"]),
            fields["proto"],
            fields["ha"] == "secret" ? HostAssignment.Secret : HostAssignment.First,
            int.Parse(fields["max"], CultureInfo.InvariantCulture),
            fields["locked"] == "1",
            RoomMetadata.FromJson(fields["meta"]),
            DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(fields["created"], CultureInfo.InvariantCulture)),
            int.Parse(fields["host"], CultureInfo.InvariantCulture) is var host and > 0 ? host : null,
            long.Parse(fields["seq"], CultureInfo.InvariantCulture),
            members);
    }

    private static Dictionary<string, string> Pairs(RedisResult[] flat)
    {
        var pairs = new Dictionary<string, string>(flat.Length / 2, StringComparer.Ordinal);
        for (var i = 0; i + 1 < flat.Length; i += 2)
        {
            pairs[flat[i].ToString()] = flat[i + 1].ToString();
        }

        return pairs;
    }

    private Room BuildRoom(string id, RoomSnapshot snapshot, IReadOnlyDictionary<int, Session>? localSessions)
    {
        var protocol = _protocols.TryGet(snapshot.Protocol, out var p) ? p : _protocols.Get(MeshProtocol.ProtocolName);
        var room = new Room(id, SecretHash.FromDigest(snapshot.SecretDigest), SecretHash.FromDigest(snapshot.HostSecretDigest),
            protocol, snapshot.HostAssignment, snapshot.MaxClients, snapshot.Metadata, snapshot.CreatedAt);
        room.Update(null, snapshot.Locked, null);
        foreach (var (clientId, entry) in snapshot.Members)
        {
            var session = localSessions is not null && localSessions.TryGetValue(clientId, out var local)
                ? local
                : Session.Remote(entry.Node, entry.JoinedAt);
            room.JoinAs(session, clientId, entry.Name, snapshot.HostId == clientId, entry.JoinedAt);
        }

        return room;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster node {NodeId} on Redis (prefix {Prefix}), connected: {Connected}")]
    private static partial void LogStarted(ILogger logger, string nodeId, string prefix, bool connected);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis connection to {EndPoint} failed: {Failure}")]
    private static partial void LogConnectionFailed(ILogger logger, string endPoint, string failure);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis connection to {EndPoint} restored: resynchronising rooms")]
    private static partial void LogConnectionRestored(ILogger logger, string endPoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Room {RoomId} missed events {Last}..{Next}: reloading it")]
    private static partial void LogGap(ILogger logger, string roomId, long last, long next);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unavailable during {Operation}: {Error}")]
    private static partial void LogStoreError(ILogger logger, string operation, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Room {RoomId}: a channel message could not be applied; reloading the room")]
    private static partial void LogApplyFailed(ILogger logger, string roomId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} clients of dead nodes")]
    private static partial void LogDeadNodeMembers(ILogger logger, int count);
}

/// <summary>A room as read from Redis at one moment.</summary>
internal readonly record struct RoomSnapshot(
    byte[] SecretDigest,
    byte[] HostSecretDigest,
    string Protocol,
    HostAssignment HostAssignment,
    int MaxClients,
    bool Locked,
    RoomMetadata Metadata,
    DateTimeOffset CreatedAt,
    int? HostId,
    long Seq,
    SortedDictionary<int, MemberEntry> Members);

/// <summary>A member as stored: its node, when it joined, its name.</summary>
internal readonly record struct MemberEntry(string Node, DateTimeOffset JoinedAt, string? Name);
