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
    private ISubscriber? _subscriber;
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

    private ISubscriber Subscriber => _subscriber ?? throw new RoomStoreUnavailableException("Redis is not connected yet.");

    /// <summary>Connects (retrying in the background when Redis is not up yet: the node starts not ready).</summary>
    public async Task ConnectAsync()
    {
        var configuration = ConfigurationOptions.Parse(_options.ConnectionString);
        configuration.AbortOnConnectFail = false;

        // Reconnect on a short fixed schedule, so that after an outage the nodes come back close together.
        configuration.ReconnectRetryPolicy = new LinearRetry(500);
        configuration.ClientName = "relay-" + NodeId;
        _redis = await ConnectionMultiplexer.ConnectAsync(configuration);
        _subscriber = _redis.GetSubscriber();
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
        return snapshot is null ? null : BuildRoom(id, snapshot.Value);
    }

    public async ValueTask<RoomPage> ListAsync(int offset, int limit, CancellationToken cancellationToken)
    {
        var key = (RedisKey)(_prefix + ":rooms");
        var page = Guard(() => Db.SortedSetRangeByRankAsync(key, offset, offset + limit - 1));
        var count = Guard(() => Db.SortedSetLengthAsync(key));
        var ids = await page;
        var total = await count;
        var snapshots = await Task.WhenAll(ids.Select(id => SnapshotAsync(id.ToString())));
        var rooms = new List<Room>(ids.Length);
        for (var i = 0; i < ids.Length; i++)
        {
            if (snapshots[i] is { } snapshot)
            {
                rooms.Add(BuildRoom(ids[i].ToString(), snapshot));
            }
        }

        return new RoomPage(rooms, (int)total);
    }

    public async ValueTask<RoomTotals> GetTotalsAsync(CancellationToken cancellationToken)
    {
        // Three reads in one round trip (the multiplexer pipelines them).
        var roomCount = Guard(() => Db.SortedSetLengthAsync(_prefix + ":rooms"));
        var counters = Guard(() => Db.HashGetAllAsync(_prefix + ":totals"));
        var nodeStats = Guard(() => Db.HashGetAllAsync(_prefix + ":stats"));
        var rooms = await roomCount;
        var totals = await counters;
        var stats = await nodeStats;
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
                await ReleaseSeatAsync(request.RoomId, (int)result);
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
        var hasReplica = _replicas.TryGetValue(room.Id, out var replica);
        if (hasReplica && !ReferenceEquals(replica!.Room, room))
        {
            lock (replica.Sync)
            {
                if (replica.Ready && replica.Room is not null)
                {
                    DeliverRelay(replica.Room, envelope);
                }
            }
        }

        if (_subscriber is null || !IsAvailable)
        {
            _stats.RecordDrop();
            return;
        }

        try
        {
            var channel = hasReplica ? replica!.Channel : ChannelOf(room.Id);
            _subscriber.Publish(channel, RelayCodec.Encode(NodeId, envelope), CommandFlags.FireAndForget);
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
                await ReleaseSeatAsync(replica.Id, clientId);
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
