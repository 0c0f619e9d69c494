using Relay.Application.Abstractions;
using Relay.Domain.Rooms;

namespace Relay.UnitTests.TestSupport;

/// <summary>
/// A backplane that passes everything to <paramref name="inner"/>, except that a test may script what happens
/// before a commit reaches it (<see cref="BeforeCommit"/>: another node's change landing first, a store outage).
/// </summary>
internal sealed class ScriptedBackplane(IRoomBackplane inner) : IRoomBackplane
{
    /// <summary>Called before each commit with the room, event and version: a result is returned instead of committing.</summary>
    public Func<Room, RoomEvent, long, CommitResult?>? BeforeCommit { get; set; }

    public int Commits { get; private set; }

    public string NodeId => inner.NodeId;

    public bool IsShared => inner.IsShared;

    public bool IsAvailable { get; set; } = true;

    public IReadOnlyCollection<Room> Held => inner.Held;

    public void Attach(IRoomEventSink sink) => inner.Attach(sink);

    public ValueTask<CreateRoomStatus> CreateAsync(Room room, int maxRooms, CancellationToken cancellationToken) => inner.CreateAsync(room, maxRooms, cancellationToken);

    public ValueTask<Room?> ReadAsync(string roomId, CancellationToken cancellationToken) => inner.ReadAsync(roomId, cancellationToken);

    public ValueTask<RoomPage> ListAsync(int offset, int limit, CancellationToken cancellationToken) => inner.ListAsync(offset, limit, cancellationToken);

    public ValueTask<RoomTotals> TotalsAsync(CancellationToken cancellationToken) => inner.TotalsAsync(cancellationToken);

    public ValueTask<Room?> AcquireAsync(string roomId, CancellationToken cancellationToken) => inner.AcquireAsync(roomId, cancellationToken);

    public void Release(Room room) => inner.Release(room);

    public ValueTask<CommitResult> CommitAsync(Room room, RoomEvent roomEvent, long version, CancellationToken cancellationToken)
    {
        Commits++;
        return BeforeCommit?.Invoke(room, roomEvent, version) is { } scripted
            ? ValueTask.FromResult(scripted)
            : inner.CommitAsync(room, roomEvent, version, cancellationToken);
    }

    public ValueTask<ResumeCommit> CommitResumeAsync(Room room, MemberBack back, long version, long afterSeq, long clientSeq, CancellationToken cancellationToken) =>
        inner.CommitResumeAsync(room, back, version, afterSeq, clientSeq, cancellationToken);

    public void Forward(Room room, in RelayMessage relay) => inner.Forward(room, relay);

    public bool Sequence(Room room, in RelayMessage relay, IRelayReceipt? receipt) => inner.Sequence(room, relay, receipt);

    public ValueTask<bool> RefreshAsync(Room room, CancellationToken cancellationToken) => inner.RefreshAsync(room, cancellationToken);
}
