using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Realtime;
using Relay.Domain.Rooms;
using Relay.Domain.Sessions;

namespace Relay.Infrastructure.Rooms;

/// <summary>
/// The single-node room manager: a concurrent dictionary of live rooms, listed in creation order; every
/// membership change is decided and applied here, under the room's gate.
/// </summary>
public sealed class InMemoryRoomManager : IRoomManager
{
    private readonly ConcurrentDictionary<string, Entry> _rooms = new(StringComparer.Ordinal);
    private readonly RoomFactory _factory;
    private readonly RoomCoordinator _coordinator;
    private long _lastSequence;
    private int _reserved;

    public InMemoryRoomManager(RoomFactory factory, TimeProvider? timeProvider = null, ILogger<InMemoryRoomManager>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _factory = factory;
        _coordinator = new RoomCoordinator(timeProvider ?? TimeProvider.System, logger ?? NullLogger<InMemoryRoomManager>.Instance, Remove);
    }

    public bool IsAvailable => true;

    public ValueTask<CreateRoomOutcome> CreateAsync(RoomSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);

        // A seat is reserved before the room exists, so that concurrent creates can never pass the limit.
        if (Interlocked.Increment(ref _reserved) > spec.MaxRooms)
        {
            Interlocked.Decrement(ref _reserved);
            return ValueTask.FromResult(new CreateRoomOutcome(CreateRoomStatus.LimitReached, null));
        }

        while (true)
        {
            var created = _factory.Create(spec);
            if (_rooms.TryAdd(created.Room.Id, new Entry(created.Room, Interlocked.Increment(ref _lastSequence))))
            {
                return ValueTask.FromResult(new CreateRoomOutcome(CreateRoomStatus.Created, created));
            }

            if (spec.Id is not null)
            {
                Interlocked.Decrement(ref _reserved);
                return ValueTask.FromResult(new CreateRoomOutcome(CreateRoomStatus.IdTaken, null));
            }

            // A generated id collided (2^-96 odds): draw again.
        }
    }

    public ValueTask<Room?> FindAsync(string id, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Find(id));

    public ValueTask<RoomPage> ListAsync(int offset, int limit, CancellationToken cancellationToken)
    {
        var all = _rooms.Values.ToArray();
        Array.Sort(all, static (a, b) => a.Sequence.CompareTo(b.Sequence));
        var items = all.Skip(offset).Take(limit).Select(e => e.Room).ToArray();
        return ValueTask.FromResult(new RoomPage(items, all.Length));
    }

    public ValueTask<RoomTotals> GetTotalsAsync(CancellationToken cancellationToken)
    {
        var byProtocol = new Dictionary<string, int>(StringComparer.Ordinal);
        var clients = 0;
        var rooms = 0;
        foreach (var entry in _rooms.Values)
        {
            rooms++;
            clients += entry.Room.ClientCount;
            byProtocol[entry.Room.Protocol.Name] = byProtocol.GetValueOrDefault(entry.Room.Protocol.Name) + 1;
        }

        return ValueTask.FromResult(new RoomTotals(rooms, clients, byProtocol));
    }

    public ValueTask<Room?> UpdateAsync(string id, RoomUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var room = Find(id);
        room?.Update(update.MaxClients, update.Locked, update.Metadata);
        return ValueTask.FromResult(room);
    }

    public ValueTask<JoinOutcome> JoinAsync(JoinRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var room = Find(request.RoomId);
        if (room is null)
        {
            return ValueTask.FromResult(JoinOutcome.RoomNotFound);
        }

        var match = room.MatchSecret(request.SecretDigest);
        return ValueTask.FromResult(match == SecretMatch.None
            ? JoinOutcome.InvalidSecret
            : _coordinator.Join(room, request, match == SecretMatch.Host));
    }

    public ValueTask<bool> LeaveAsync(Session session, string reason, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_coordinator.RemoveMember(session, reason));

    public ValueTask<MemberChange> KickAsync(Room room, int clientId, string reason, Session? byHost, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        if (byHost is not null && !byHost.IsHost)
        {
            return ValueTask.FromResult(MemberChange.NotHost);
        }

        var target = room.Find(clientId);
        return ValueTask.FromResult(target is not null && _coordinator.Kick(room, target, reason)
            ? MemberChange.Done
            : MemberChange.UnknownClient);
    }

    public ValueTask<MemberChange> TransferHostAsync(Session host, int clientId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_coordinator.TransferHost(host, clientId));

    public ValueTask<MemberChange> CloseAsync(Room room, string reason, ushort closeCode, string? message, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_coordinator.CloseRoom(room, reason, closeCode, message) ? MemberChange.Done : MemberChange.RoomNotFound);

    public void Forward(Room room, RelayEnvelope envelope)
    {
        // Every member is on this node: nothing to forward.
    }

    public ValueTask<int> ShutdownAsync(CancellationToken cancellationToken)
    {
        var closed = 0;
        foreach (var room in Snapshot())
        {
            if (_coordinator.CloseRoom(room, RoomClosedReasons.Shutdown, CloseCodes.GoingAway))
            {
                closed++;
            }
        }

        return ValueTask.FromResult(closed);
    }

    public IReadOnlyCollection<Room> Snapshot() => [.. _rooms.Values.Select(e => e.Room)];

    /// <summary>Unregisters <paramref name="room"/> (only that instance); false when it was already gone.</summary>
    public bool Remove(Room room)
    {
        ArgumentNullException.ThrowIfNull(room);
        if (_rooms.TryGetValue(room.Id, out var entry)
            && ReferenceEquals(entry.Room, room)
            && _rooms.TryRemove(new KeyValuePair<string, Entry>(room.Id, entry)))
        {
            Interlocked.Decrement(ref _reserved);
            return true;
        }

        return false;
    }

    private Room? Find(string id) => _rooms.TryGetValue(id, out var entry) ? entry.Room : null;

    /// <summary>A room and its place in creation order.</summary>
    private sealed record Entry(Room Room, long Sequence);
}
