using System.Collections.Concurrent;
using Relay.Application.Abstractions;
using Relay.Domain.Rooms;

namespace Relay.Infrastructure.Rooms;

/// <summary>The single-node room registry: a concurrent dictionary of live rooms, listed in creation order.</summary>
public sealed class InMemoryRoomManager(RoomFactory factory) : IRoomManager
{
    private readonly ConcurrentDictionary<string, Entry> _rooms = new(StringComparer.Ordinal);
    private long _lastSequence;
    private int _reserved;

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
            var created = factory.Create(spec);
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
        ValueTask.FromResult(_rooms.TryGetValue(id, out var entry) ? entry.Room : null);

    public ValueTask<RoomPage> ListAsync(int offset, int limit, CancellationToken cancellationToken)
    {
        var all = _rooms.Values.ToArray();
        Array.Sort(all, static (a, b) => a.Sequence.CompareTo(b.Sequence));
        var items = all.Skip(offset).Take(limit).Select(e => e.Room).ToArray();
        return ValueTask.FromResult(new RoomPage(items, all.Length));
    }

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

    public IReadOnlyCollection<Room> Snapshot() => [.. _rooms.Values.Select(e => e.Room)];

    /// <summary>A room and its place in creation order.</summary>
    private sealed record Entry(Room Room, long Sequence);
}
