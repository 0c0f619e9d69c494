using Relay.Domain.Rooms;

namespace Relay.Application.Abstractions;

/// <summary>
/// A room as a shared store holds it, read at one moment; <paramref name="MessagesRelayed"/> is the room's relay count
/// as the reading node sees it (the store's, with this node's not yet stored).
/// </summary>
public sealed record RoomSnapshot(
    RoomSettings Settings,
    DateTimeOffset CreatedAt,
    bool Locked,
    int? HostId,
    int LastClientId,
    long Version,
    long Seq,
    DateTimeOffset? EmptySince,
    IReadOnlyList<MemberRecord> Members,
    long MessagesRelayed = 0);

/// <summary>A member as stored: the join that seated it, the node holding its connection, and whether it is away.</summary>
public sealed record MemberRecord(MemberJoined Joined, long JoinSeq, string? Node, DateTimeOffset? AwayUntil)
{
    public bool IsAway => AwayUntil is not null;
}
