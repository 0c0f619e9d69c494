namespace Relay.Application.Rooms.Membership;

/// <summary>The outcome of a `connect`.</summary>
public enum JoinOutcome
{
    Joined,
    RoomNotFound,
    InvalidSecret,
    Locked,
    Full,
    AlreadyInRoom,
    Unavailable,
}

/// <summary>The outcome of a change to one member (kick, host transfer, leave) or to a room (close, update).</summary>
public enum MemberChange
{
    Done,
    RoomNotFound,
    UnknownClient,
    NotHost,
    Unavailable,
}

/// <summary>Why a `resume` failed (the `resume_failed` error and the resume metrics say which).</summary>
public enum ResumeOutcome
{
    Resumed,
    RoomNotFound,
    UnknownToken,
    SeqAhead,
    HistoryGap,
    AlreadyInRoom,
    Unavailable,
}
