using System.Collections.Concurrent;
using Relay.Application.Abstractions;
using Relay.Domain.Rooms;

namespace Relay.Infrastructure.Rooms;

/// <summary>The single-node room registry: a concurrent dictionary of live rooms.</summary>
public sealed class InMemoryRoomManager(RoomFactory factory) : IRoomManager
{
    private readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);

    public ValueTask<CreateRoomOutcome> CreateAsync(RoomSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        while (true)
        {
            var created = factory.Create(spec);
            if (_rooms.TryAdd(created.Room.Id, created.Room))
            {
                return ValueTask.FromResult(new CreateRoomOutcome(CreateRoomStatus.Created, created));
            }

            if (spec.Id is not null)
            {
                return ValueTask.FromResult(new CreateRoomOutcome(CreateRoomStatus.IdTaken, null));
            }

            // A generated id collided (2^-96 odds): draw again.
        }
    }

    public ValueTask<Room?> FindAsync(string id, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_rooms.TryGetValue(id, out var room) ? room : null);

    public ValueTask<RoomPage> ListAsync(int offset, int limit, CancellationToken cancellationToken)
    {
        var all = _rooms.Values.ToArray();
        Array.Sort(all, static (a, b) =>
        {
            var byTime = a.CreatedAt.CompareTo(b.CreatedAt);
            return byTime != 0 ? byTime : string.CompareOrdinal(a.Id, b.Id);
        });
        var items = all.Skip(offset).Take(limit).ToArray();
        return ValueTask.FromResult(new RoomPage(items, all.Length));
    }

    public bool Remove(Room room)
    {
        ArgumentNullException.ThrowIfNull(room);
        return _rooms.TryRemove(new KeyValuePair<string, Room>(room.Id, room));
    }

    public int Count => _rooms.Count;

    public IReadOnlyCollection<Room> Snapshot() => _rooms.Values.ToArray();
}
