using Relay.Domain.Connections;

namespace Relay.Domain.Rooms;

/// <summary>
/// The members of one room in join order (client-id order), published as an immutable array that the hot path
/// reads without the room's gate, with the counts kept alongside it: members connected to another node, and
/// members that may come back. Only its <see cref="Room"/> changes it, under the room's gate; every change that
/// moves a member between this node and another goes through here so that the counts stay true.
/// </summary>
internal sealed class MemberList
{
    private Session[] _members = [];
    private int _remote;
    private int _resumable;

    /// <summary>The current members: an immutable snapshot.</summary>
    public Session[] Snapshot => Volatile.Read(ref _members);

    /// <summary>True while some member joined with `resume: true`.</summary>
    public bool HasResumable => Volatile.Read(ref _resumable) > 0;

    /// <summary>True while some member is connected to another node.</summary>
    public bool HasRemote => Volatile.Read(ref _remote) > 0;

    /// <summary>The member with <paramref name="clientId"/>, or null.</summary>
    public Session? Find(int clientId)
    {
        foreach (var member in Snapshot)
        {
            if (member.ClientId == clientId)
            {
                return member;
            }
        }

        return null;
    }

    /// <summary>True while <paramref name="member"/> is seated here (this very session, not only its client id).</summary>
    public bool Contains(Session member) => Array.IndexOf(_members, member) >= 0;

    /// <summary>Publishes the list with <paramref name="session"/> added, kept in join order (client-id order).</summary>
    public void Insert(Session session)
    {
        var members = _members;
        var index = members.Length;
        while (index > 0 && members[index - 1].ClientId > session.ClientId)
        {
            index--;
        }

        Volatile.Write(ref _members, [.. members.AsSpan(0, index), session, .. members.AsSpan(index)]);
        if (session.IsRemote)
        {
            Volatile.Write(ref _remote, _remote + 1);
        }

        if (session.Resumable)
        {
            Volatile.Write(ref _resumable, _resumable + 1);
        }
    }

    /// <summary>Publishes the list without <paramref name="member"/> (which must be seated); returns how many are left.</summary>
    public int Remove(Session member)
    {
        var members = _members;
        var index = Array.IndexOf(members, member);
        var next = new Session[members.Length - 1];
        members.AsSpan(0, index).CopyTo(next);
        members.AsSpan(index + 1).CopyTo(next.AsSpan(index));
        Volatile.Write(ref _members, next);
        if (member.IsRemote)
        {
            Volatile.Write(ref _remote, _remote - 1);
        }

        if (member.Resumable)
        {
            Volatile.Write(ref _resumable, _resumable - 1);
        }

        return next.Length;
    }

    /// <summary>Empties the list (the room closed); returns the members it had.</summary>
    public Session[] Clear()
    {
        var members = _members;
        Volatile.Write(ref _members, []);
        Volatile.Write(ref _remote, 0);
        Volatile.Write(ref _resumable, 0);
        return members;
    }

    /// <summary>The connection of <paramref name="member"/> dropped: it stays, away, until <paramref name="until"/>.</summary>
    public IConnection? MarkAway(Session member, DateTimeOffset until)
    {
        if (member.IsRemote)
        {
            Volatile.Write(ref _remote, _remote - 1);
        }

        return member.MarkAway(until);
    }

    /// <summary>
    /// <paramref name="member"/> is back: on <paramref name="connection"/> here, or on <paramref name="remoteNode"/>,
    /// with a new resume token. Returns the connection it had here before, if any.
    /// </summary>
    public IConnection? Return(Session member, IConnection? connection, string? remoteNode, byte[] tokenDigest)
    {
        var wasRemote = member.IsRemote;
        var replaced = member.MoveTo(connection is null ? remoteNode : null, tokenDigest);
        if (connection is not null)
        {
            member.Connect(connection);
        }

        Recount(member, wasRemote);
        return replaced;
    }

    /// <summary>
    /// The connection of <paramref name="member"/> is gone but its seat stays, hidden, as a stand-in of
    /// <paramref name="node"/>. False when it is no longer seated or already hidden.
    /// </summary>
    public bool Hide(Session member, string node)
    {
        if (!Contains(member) || member.IsHidden)
        {
            return false;
        }

        var wasRemote = member.IsRemote;
        member.Hide(node);
        if (!wasRemote)
        {
            Volatile.Write(ref _remote, _remote + 1);
        }

        return true;
    }

    /// <summary>
    /// Brings <paramref name="member"/> in line with its stored record: where its connection is
    /// (<paramref name="remoteNode"/>, null for this node), whether it is away, and its resume token. Returns the
    /// connection it had here if it now lives elsewhere or is away; nothing for a member no longer seated or hidden.
    /// </summary>
    public IConnection? Sync(Session member, string? remoteNode, DateTimeOffset? awayUntil, byte[]? tokenDigest)
    {
        if (!Contains(member) || member.IsHidden)
        {
            return null;
        }

        if (tokenDigest is not null)
        {
            member.ReplaceToken(tokenDigest);
        }

        var wasRemote = member.IsRemote;
        IConnection? gone = null;
        if (awayUntil is { } until)
        {
            gone = member.IsAway ? null : member.MarkAway(until);
        }
        else if (remoteNode is not null && member.NodeId != remoteNode)
        {
            gone = member.MoveTo(remoteNode, member.ResumeTokenDigest ?? []);
        }

        Recount(member, wasRemote);
        return gone;
    }

    /// <summary>Counts the move of <paramref name="member"/> between this node and another, if it moved.</summary>
    private void Recount(Session member, bool wasRemote)
    {
        var isRemote = member.IsRemote;
        if (wasRemote != isRemote)
        {
            Volatile.Write(ref _remote, _remote + (isRemote ? 1 : -1));
        }
    }
}
