namespace Relay.Domain.Rooms;

/// <summary>Which secret a client presented.</summary>
public enum SecretMatch
{
    None,
    Member,
    Host,
}

/// <summary>Why a change was refused, or <see cref="Accepted"/>.</summary>
public enum Refusal
{
    Accepted,
    RoomClosed,
    Locked,
    Full,
    NotMember,
    NotHost,
    NotResumable,
    UnknownToken,
    Unchanged,
}

/// <summary>
/// A decision of the room's rules: the event to commit, or why there is none, and the room's
/// <see cref="Room.Version"/> it was based on (a shared store commits it only while that is still the version).
/// </summary>
public readonly record struct Decision<TEvent>(Refusal Refusal, TEvent? Event, long Version)
    where TEvent : RoomEvent
{
    public bool Accepted => Refusal == Refusal.Accepted;

    public static Decision<TEvent> Accept(TEvent e, long version) => new(Refusal.Accepted, e, version);

    public static Decision<TEvent> Refuse(Refusal refusal) => new(refusal, null, 0);
}

/// <summary>A client asking for a seat: what it presented and who it is.</summary>
/// <param name="Match">Which secret it presented (the caller already compared them in constant time).</param>
/// <param name="Name">Its display name.</param>
/// <param name="UserId">The user id from a client token, if it joined with one.</param>
/// <param name="Resumable">It asked for `resume: true`.</param>
/// <param name="ResumeTokenDigest">The digest of the resume token it will be given.</param>
/// <param name="NodeId">The node holding its connection.</param>
/// <param name="JoinToken">A token unique to this attempt.</param>
/// <param name="Now">The time of the join.</param>
public readonly record struct JoinAttempt(
    SecretMatch Match,
    string? Name,
    string? UserId,
    bool Resumable,
    byte[]? ResumeTokenDigest,
    string NodeId,
    string JoinToken,
    DateTimeOffset Now);
