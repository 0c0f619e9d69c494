namespace Relay.Application.Abstractions;

public enum CommitStatus
{
    /// <summary>Committed and applied to this node's copy.</summary>
    Committed,

    /// <summary>The copy was out of date: it has been brought up to date, decide again.</summary>
    Conflict,

    /// <summary>The room no longer exists.</summary>
    RoomGone,

    /// <summary>The store could not be reached within the time budget: nothing was committed.</summary>
    Unavailable,
}

/// <summary>The outcome of <see cref="IRoomBackplane.CommitAsync"/>: with <see cref="CommitStatus.Committed"/>, the event's sequence number.</summary>
public readonly record struct CommitResult(CommitStatus Status, long Seq)
{
    public static CommitResult Conflict => new(CommitStatus.Conflict, 0);

    public static CommitResult RoomGone => new(CommitStatus.RoomGone, 0);

    public static CommitResult Unavailable => new(CommitStatus.Unavailable, 0);

    public static CommitResult Committed(long seq) => new(CommitStatus.Committed, seq);
}

public enum ResumeCommitStatus
{
    /// <summary>The return was committed and applied here; <see cref="ResumeCommit.Missed"/> holds what the client missed.</summary>
    Committed,

    /// <summary>The copy was out of date: it has been brought up to date, decide again.</summary>
    Conflict,

    /// <summary>The client's `seq` is above the room's latest.</summary>
    SeqAhead,

    /// <summary>The history no longer holds every event the client missed: nothing was committed.</summary>
    HistoryGap,

    RoomGone,

    Unavailable,
}

/// <summary>
/// The outcome of <see cref="IRoomBackplane.CommitResumeAsync"/>: with <see cref="ResumeCommitStatus.Committed"/>, the
/// frames of every room event the client missed and would have received, in order (the caller owns a reference to each).
/// </summary>
public readonly record struct ResumeCommit(ResumeCommitStatus Status, IReadOnlyList<Relay.Domain.Frames.OutboundFrame>? Missed);
