using Relay.Domain.Connections;
using Relay.Domain.Frames;

namespace Relay.Domain.Rooms;

/// <summary>
/// A client's seat in a room, whatever carries it: its room-scoped client id, name and user id, a safe
/// non-blocking write and a close. The connection under it can change (a resumable client that drops its connection
/// is <see cref="IsAway"/> for the room's window and comes back on a new one), and a member of a cluster room whose
/// connection lives on another node is a stand-in (<see cref="IsRemote"/>) that writes nothing here. Only
/// <see cref="Room"/> creates, changes and removes sessions (its <see cref="MemberList"/> keeps them), under its gate.
/// </summary>
public sealed class Session
{
    private Link? _link;
    private volatile bool _away;
    private volatile bool _detached;

    internal Session(Room room, MemberJoined joined, long joinSeq, string? remoteNode)
    {
        Room = room;
        JoinSeq = joinSeq;
        ClientId = joined.ClientId;
        Name = joined.Name;
        UserId = joined.UserId;
        JoinedAt = joined.JoinedAt;
        Resumable = joined.Resumable;
        ResumeTokenDigest = joined.ResumeTokenDigest;
        NodeId = remoteNode;
    }

    public Room Room { get; }

    /// <summary>The room-scoped client id: positive, in join order, never reused while the room exists.</summary>
    public int ClientId { get; }

    public string? Name { get; }

    /// <summary>The user id (`sub`) of the client token it joined with, if any.</summary>
    public string? UserId { get; }

    public DateTimeOffset JoinedAt { get; }

    /// <summary>The sequence number of its join: a client coming back never gets events from before it.</summary>
    public long JoinSeq { get; }

    /// <summary>It joined with `resume: true`: it may come back after a drop, and its binary relays carry `seq`.</summary>
    public bool Resumable { get; }

    /// <summary>The digest of its current resume token (single use: replaced on every `connected` and `resumed`).</summary>
    public byte[]? ResumeTokenDigest { get; private set; }

    /// <summary>The cluster node holding its connection, for a member connected elsewhere; null on this node or while away.</summary>
    public string? NodeId { get; private set; }

    /// <summary>True for a member connected to another node.</summary>
    public bool IsRemote => NodeId is not null;

    /// <summary>Its connection dropped; it keeps its seat until <see cref="AwayUntil"/>.</summary>
    public bool IsAway => _away;

    public DateTimeOffset? AwayUntil { get; private set; }

    /// <summary>
    /// A seat this node holds in a shared store without a connection behind it (a departure not yet committed, or a
    /// join whose connection gave up): kept so the copy mirrors the store, never shown to this node's members.
    /// </summary>
    public bool IsHidden { get; internal set; }

    /// <summary>Still seated: false once it left, was kicked, or its room closed.</summary>
    public bool IsMember => !_detached;

    public bool IsHost => !_detached && Room.HostId == ClientId;

    /// <summary>The connection on this node, or null (remote, away, or gone).</summary>
    public IConnection? Connection => Volatile.Read(ref _link)?.Connection;

    /// <summary>
    /// Queues <paramref name="frame"/> to this member's connection, only while it is still the member's: a relay that
    /// read the member list just before the member left or dropped never reaches it after its `left`, `room_closed`
    /// or a new member's frames on the same connection.
    /// </summary>
    public bool TrySend(OutboundFrame frame)
    {
        var link = Volatile.Read(ref _link);
        return link is not null && link.Connection.TrySend(frame, link.Epoch);
    }

    public void Close(ushort code, string reason) => Volatile.Read(ref _link)?.Connection.Close(code, reason);

    /// <summary>Attaches <paramref name="connection"/> (a local join, or a resume).</summary>
    internal void Connect(IConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Volatile.Write(ref _link, new Link(connection, connection.Epoch));
        NodeId = null;
        _away = false;
        AwayUntil = null;
    }

    /// <summary>The member moves to another node (a resume elsewhere): returns the connection it had here.</summary>
    internal IConnection? MoveTo(string? remoteNode, byte[] resumeTokenDigest)
    {
        var previous = Unlink();
        NodeId = remoteNode;
        ResumeTokenDigest = resumeTokenDigest;
        _away = false;
        AwayUntil = null;
        return previous;
    }

    internal void ReplaceToken(byte[] resumeTokenDigest) => ResumeTokenDigest = resumeTokenDigest;

    /// <summary>Its connection dropped: it keeps its seat until <paramref name="until"/>.</summary>
    internal IConnection? MarkAway(DateTimeOffset until)
    {
        var previous = Unlink();
        NodeId = null;
        _away = true;
        AwayUntil = until;
        return previous;
    }

    /// <summary>Its connection is gone but its seat cannot be given back yet: it stays, hidden, as a stand-in of <paramref name="node"/>.</summary>
    internal IConnection? Hide(string node)
    {
        var previous = Unlink();
        NodeId = node;
        IsHidden = true;
        return previous;
    }

    /// <summary>It leaves the room for good: returns the connection it had here, if any.</summary>
    internal IConnection? Detach()
    {
        _detached = true;
        return Unlink();
    }

    /// <summary>Drops the link and ends its epoch, so that no relay that saw it can land after what comes next.</summary>
    private IConnection? Unlink()
    {
        var link = Interlocked.Exchange(ref _link, null);
        link?.Connection.EndEpoch();
        return link?.Connection;
    }

    /// <summary>A connection with the membership epoch it had when this member was attached to it.</summary>
    private sealed record Link(IConnection Connection, int Epoch);
}
