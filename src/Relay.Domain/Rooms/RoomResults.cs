namespace Relay.Domain.Rooms;

/// <summary>Which secret a client presented.</summary>
public enum SecretMatch
{
    None,
    Member,
    Host,
}

public enum JoinStatus
{
    Joined,
    Closed,
    Locked,
    Full,
    AlreadyInRoom,
}

/// <summary>The outcome of <see cref="Room.Join"/>.</summary>
/// <param name="Status">Whether the join happened, or why not.</param>
/// <param name="ClientId">The new client's id when joined.</param>
/// <param name="HostChanged">True when the join changed the room's host (the joiner became host).</param>
public readonly record struct JoinResult(JoinStatus Status, int ClientId, bool HostChanged)
{
    public bool Joined => Status == JoinStatus.Joined;
}

/// <summary>The outcome of <see cref="Room.Remove"/>.</summary>
/// <param name="Removed">False when the session was not a member (already gone).</param>
/// <param name="ClientId">The id the session had in the room.</param>
/// <param name="WasHost">True when the removed session was the host.</param>
public readonly record struct RemoveResult(bool Removed, int ClientId, bool WasHost);
