using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Relay.Application.Abstractions;
using Relay.Application.Common.Options;
using Relay.Domain.Frames;
using Relay.Domain.Rooms;
using Relay.Infrastructure.Webhooks;

namespace Relay.Infrastructure.Backplanes.InMemory;

/// <summary>
/// The single-node backplane: the rooms themselves, in a concurrent dictionary listed in creation order. A commit
/// applies the event at once, under the room's gate, after checking that the decision saw the current version;
/// a sequenced relay takes the room's next number and is delivered under the gate; a room's history is kept in the
/// room. Nothing here decides anything: the rules are the room's.
/// </summary>
public sealed class InMemoryBackplane(IOptions<RelayOptions> options, LocalWebhooks? webhooks = null) : IRoomBackplane
{
    public const string LocalNodeId = "local";

    private readonly ConcurrentDictionary<string, Entry> _rooms = new(StringComparer.Ordinal);
    private readonly ResumeOptions _resume = options.Value.Resume;
    private IRoomEventSink? _sink;
    private long _lastOrder;
    private int _reserved;

    public string NodeId => LocalNodeId;

    public bool IsShared => false;

    public bool IsAvailable => true;

    public IReadOnlyCollection<Room> Held => [.. _rooms.Values.Select(e => e.Room)];

    private IRoomEventSink Sink => _sink ?? throw new InvalidOperationException("No event sink is attached.");

    public void Attach(IRoomEventSink sink) => _sink = sink;

    public ValueTask<CreateRoomStatus> CreateAsync(Room room, int maxRooms, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);

        // A place is reserved before the room exists, so that concurrent creates can never pass the limit.
        if (Interlocked.Increment(ref _reserved) > maxRooms)
        {
            Interlocked.Decrement(ref _reserved);
            return ValueTask.FromResult(CreateRoomStatus.LimitReached);
        }

        if (room.IsSequenced)
        {
            room.KeepHistory(_resume.HistoryMessages, _resume.HistoryBytes);
        }

        lock (room.Gate)
        {
            if (!_rooms.TryAdd(room.Id, new Entry(room, Interlocked.Increment(ref _lastOrder))))
            {
                Interlocked.Decrement(ref _reserved);
                return ValueTask.FromResult(CreateRoomStatus.IdTaken);
            }

            // Under the gate: `room.created` is queued before any event of the room.
            webhooks?.Created(room);
        }

        return ValueTask.FromResult(CreateRoomStatus.Created);
    }

    public ValueTask<Room?> ReadAsync(string roomId, CancellationToken cancellationToken) => ValueTask.FromResult(Find(roomId));

    public ValueTask<Room?> AcquireAsync(string roomId, CancellationToken cancellationToken) => ValueTask.FromResult(Find(roomId));

    public void Release(Room room)
    {
        // Every room lives here until it closes.
    }

    public ValueTask<RoomPage> ListAsync(int offset, int limit, CancellationToken cancellationToken)
    {
        var all = _rooms.Values.ToArray();
        Array.Sort(all, static (a, b) => a.Order.CompareTo(b.Order));
        var items = all.Skip(offset).Take(limit).Select(e => e.Room).ToArray();
        return ValueTask.FromResult(new RoomPage(items, all.Length));
    }

    public ValueTask<RoomTotals> TotalsAsync(CancellationToken cancellationToken)
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

    public ValueTask<CommitResult> CommitAsync(Room room, RoomEvent roomEvent, long version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(roomEvent);
        lock (room.Gate)
        {
            if (room.IsClosed)
            {
                return ValueTask.FromResult(CommitResult.RoomGone);
            }

            if (room.Version != version)
            {
                return ValueTask.FromResult(CommitResult.Conflict);
            }

            var seq = room.Seq + 1;
            Sink.Apply(room, roomEvent, seq);
            webhooks?.Committed(room, roomEvent, seq);
            if (room.IsSequenced)
            {
                // A room given a resume window after it was created keeps its history from now on.
                room.KeepHistory(_resume.HistoryMessages, _resume.HistoryBytes);
            }

            if (room.IsClosed)
            {
                Unregister(room);
            }

            return ValueTask.FromResult(CommitResult.Committed(seq));
        }
    }

    public ValueTask<bool> RefreshAsync(Room room, CancellationToken cancellationToken) => ValueTask.FromResult(false);

    public ValueTask<ResumeCommit> CommitResumeAsync(Room room, MemberBack back, long version, long afterSeq, long clientSeq, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(back);
        lock (room.Gate)
        {
            if (room.IsClosed)
            {
                return ValueTask.FromResult(new ResumeCommit(ResumeCommitStatus.RoomGone, null));
            }

            if (room.Version != version)
            {
                return ValueTask.FromResult(new ResumeCommit(ResumeCommitStatus.Conflict, null));
            }

            if (clientSeq > room.Seq)
            {
                return ValueTask.FromResult(new ResumeCommit(ResumeCommitStatus.SeqAhead, null));
            }

            var missed = new List<OutboundFrame>();
            if (room.History is not { } history || !history.TryCollect(afterSeq, back.ClientId, missed))
            {
                return ValueTask.FromResult(new ResumeCommit(ResumeCommitStatus.HistoryGap, null));
            }

            var seq = room.Seq + 1;
            Sink.Apply(room, back, seq);
            webhooks?.Committed(room, back, seq);
            return ValueTask.FromResult(new ResumeCommit(ResumeCommitStatus.Committed, missed));
        }
    }

    public void Forward(Room room, in RelayMessage relay)
    {
        // Every member is on this node: nothing to pass on.
    }

    public bool Sequence(Room room, in RelayMessage relay, IRelayReceipt? receipt)
    {
        ArgumentNullException.ThrowIfNull(room);
        lock (room.Gate)
        {
            if (!room.IsClosed && (relay.SenderId == 0 || room.Find(relay.SenderId) is { IsMember: true }))
            {
                Sink.DeliverRelay(room, relay, room.NextSeq());
            }
        }

        return true;
    }

    /// <summary>Unregisters <paramref name="room"/> (only that instance); false when it was already gone.</summary>
    public bool Unregister(Room room)
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

    private Room? Find(string id) => _rooms.TryGetValue(id, out var entry) && !entry.Room.IsClosed ? entry.Room : null;

    /// <summary>A room and its place in creation order.</summary>
    private sealed record Entry(Room Room, long Order);
}
