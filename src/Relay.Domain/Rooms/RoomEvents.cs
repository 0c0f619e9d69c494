namespace Relay.Domain.Rooms;

/// <summary>
/// A change to a room's membership or settings, decided by the room's rules (<see cref="RoomDecider"/>'s
/// <c>Decide*</c> methods) and applied in the same order on every copy of the room. A backplane stores, orders and carries them;
/// it never decides them.
/// </summary>
public abstract record RoomEvent
{
    /// <summary>
    /// How many sequence numbers the event takes: one per room event it shows clients (a join that makes a new host
    /// shows `client_joined` then `host_changed`, each with its own `seq`).
    /// </summary>
    public virtual int Width => 1;
}

/// <summary>A client takes a seat. <paramref name="JoinToken"/> lets the node that asked find its waiting connection.</summary>
public sealed record MemberJoined(
    int ClientId,
    string? Name,
    string? UserId,
    string NodeId,
    DateTimeOffset JoinedAt,
    bool BecomesHost,
    bool Resumable,
    byte[]? ResumeTokenDigest,
    string JoinToken) : RoomEvent
{
    public override int Width => BecomesHost ? 2 : 1;
}

/// <summary>What a departure does to the room's host.</summary>
public enum SuccessionKind : byte
{
    /// <summary>The one who left was not the host.</summary>
    Unchanged,

    /// <summary>The host left and <see cref="HostSuccession.NextHostId"/> takes over.</summary>
    PassTo,

    /// <summary>The host left and the room goes on without one.</summary>
    NoHost,

    /// <summary>The host left and the room closes (`host_left`).</summary>
    CloseRoom,
}

/// <summary>The host rule's outcome for one departure.</summary>
public readonly record struct HostSuccession(SuccessionKind Kind, int NextHostId)
{
    public static HostSuccession Unchanged => new(SuccessionKind.Unchanged, 0);
}

/// <summary>A client leaves for good (`left`, `disconnected`, `kicked`, `timeout`).</summary>
public sealed record MemberLeft(int ClientId, string Reason, string? KickReason, HostSuccession Succession) : RoomEvent
{
    public override int Width => Succession.Kind is SuccessionKind.PassTo or SuccessionKind.NoHost ? 2 : 1;
}

/// <summary>A resumable client lost its connection: it keeps its seat until <paramref name="Until"/>.</summary>
public sealed record MemberAway(int ClientId, DateTimeOffset Until) : RoomEvent;

/// <summary>
/// A resumable client is back on a new connection held by <paramref name="NodeId"/> (<paramref name="WasAway"/>:
/// false when its old connection was still open, which is then closed with 4005). <paramref name="JoinToken"/> lets
/// that node find the waiting connection.
/// </summary>
public sealed record MemberBack(int ClientId, string NodeId, byte[] ResumeTokenDigest, bool WasAway, string JoinToken) : RoomEvent;

/// <summary>The host hands its role to <paramref name="HostId"/>.</summary>
public sealed record HostTransferred(int HostId) : RoomEvent;

/// <summary>A backend changed the room: the values after the change.</summary>
public sealed record RoomUpdated(int MaxClients, bool Locked, RoomMetadata Metadata, int ResumeWindowSeconds) : RoomEvent;

/// <summary>The room closes for good.</summary>
public sealed record RoomClosed(string Reason, ushort CloseCode, string? Message) : RoomEvent;
