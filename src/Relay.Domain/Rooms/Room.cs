using Relay.Domain.Connections;

namespace Relay.Domain.Rooms;

/// <summary>
/// A group of sessions with at most one host, and the one place where its rules live. The room guards its
/// invariants — seats, lock, membership, client ids in join order never reused, a single host, closed for good —
/// and decides every change (<c>Decide*</c>: pure, returning the event to commit or why not). A change happens
/// when its event is applied (<c>Apply*</c>), in the same order on every copy of the room, under <see cref="Gate"/>.
/// Readers on the hot path take the immutable <see cref="Members"/> snapshot instead of the gate.
/// </summary>
public sealed class Room
{
    private readonly Lock _gate = new();
    private readonly SecretHash _secret;
    private readonly SecretHash _hostSecret;
    private Session[] _members = [];
    private int _lastClientId;
    private int _hostId;
    private int _remoteMembers;
    private int _resumableMembers;
    private long _seq;
    private volatile bool _closed;

    public Room(RoomSettings settings, DateTimeOffset createdAt)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrEmpty(settings.Id);
        ArgumentNullException.ThrowIfNull(settings.Secret);
        ArgumentNullException.ThrowIfNull(settings.HostSecret);
        ArgumentNullException.ThrowIfNull(settings.Protocol);
        ArgumentNullException.ThrowIfNull(settings.Metadata);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxClients, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(settings.ResumeWindowSeconds);

        Id = settings.Id;
        _secret = settings.Secret;
        _hostSecret = settings.HostSecret;
        Protocol = settings.Protocol;
        HostAssignment = settings.HostAssignment;
        MaxClients = settings.MaxClients;
        Metadata = settings.Metadata;
        ResumeWindowSeconds = settings.ResumeWindowSeconds;
        Epoch = settings.Epoch;
        CreatedAt = createdAt;
        EmptySince = createdAt;
    }

    public string Id { get; }

    /// <summary>The events kept for clients that come back, when this node keeps them itself (a single node); else null.</summary>
    public RoomHistory? History { get; private set; }

    public IRoomProtocol Protocol { get; }

    public HostAssignment HostAssignment { get; }

    public int MaxClients { get; private set; }

    public bool Locked { get; private set; }

    public RoomMetadata Metadata { get; private set; }

    /// <summary>How long a resumable client that dropped keeps its seat; 0 turns resume off for the room.</summary>
    public int ResumeWindowSeconds { get; private set; }

    /// <summary>True while room events carry `seq` (the resume window is not 0).</summary>
    public bool IsSequenced => ResumeWindowSeconds > 0;

    /// <summary>A random value fixed at creation: a room made again with the same id (or a store that lost its data) has another.</summary>
    public string Epoch { get; }

    public DateTimeOffset CreatedAt { get; }

    /// <summary>Since when the room has had no clients; null while it has some.</summary>
    public DateTimeOffset? EmptySince { get; private set; }

    /// <summary>
    /// How many membership events have been applied: the version a decision was based on, which a shared store
    /// checks before it commits the decision (so that two nodes never both take the last seat).
    /// </summary>
    public long Version { get; private set; }

    /// <summary>The sequence number of the last room event (membership event or sequenced relay).</summary>
    public long Seq => Volatile.Read(ref _seq);

    /// <summary>
    /// The lock that orders every change to the room. Application code holds it around applying an event and the
    /// notifications it causes, so every member sees events in the same order as the state changed.
    /// </summary>
    public Lock Gate => _gate;

    /// <summary>The current members in join order (longest-connected first): an immutable snapshot.</summary>
    public ReadOnlySpan<Session> Members => Volatile.Read(ref _members);

    /// <summary>Members, away ones included (they hold their seats).</summary>
    public int ClientCount => Volatile.Read(ref _members).Length;

    /// <summary>True while some member joined with `resume: true` (only then does the room's history need to be kept).</summary>
    public bool HasResumableMembers => Volatile.Read(ref _resumableMembers) > 0;

    /// <summary>True while some member is connected to another node (a relay must be passed on).</summary>
    public bool HasRemoteMembers => Volatile.Read(ref _remoteMembers) > 0;

    /// <summary>The host's client id, or null when the room has no host.</summary>
    public int? HostId
    {
        get
        {
            var id = Volatile.Read(ref _hostId);
            return id == 0 ? null : id;
        }
    }

    public int LastClientId => Volatile.Read(ref _lastClientId);

    public bool IsClosed => _closed;

    /// <summary>Checks a presented secret against both secrets, always doing both comparisons.</summary>
    public SecretMatch MatchSecret(ReadOnlySpan<byte> presentedDigest)
    {
        var host = _hostSecret.Matches(presentedDigest);
        var member = _secret.Matches(presentedDigest);
        return host ? SecretMatch.Host : member ? SecretMatch.Member : SecretMatch.None;
    }

    /// <summary>The digests of the secrets, for a shared store (which keeps nothing else of them).</summary>
    public (SecretHash Secret, SecretHash HostSecret) Secrets => (_secret, _hostSecret);

    /// <summary>The member with <paramref name="clientId"/>, or null.</summary>
    public Session? Find(int clientId)
    {
        foreach (var member in Members)
        {
            if (member.ClientId == clientId)
            {
                return member;
            }
        }

        return null;
    }

    /// <summary>The host's session, or null.</summary>
    public Session? Host => HostId is { } id ? Find(id) : null;

    // ---- Decisions: the rules, read against the current state. They change nothing. ------------------------

    /// <summary>
    /// A seat for <paramref name="attempt"/>: refused when the room is closed, locked or full. The joiner takes the next
    /// client id and becomes host when it presented the host secret (demoting any host) or, with
    /// <see cref="HostAssignment.First"/>, when the room has no host.
    /// </summary>
    public Decision<MemberJoined> DecideJoin(in JoinAttempt attempt)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return Decision<MemberJoined>.Refuse(Refusal.RoomClosed);
            }

            if (Locked)
            {
                return Decision<MemberJoined>.Refuse(Refusal.Locked);
            }

            if (_members.Length >= MaxClients)
            {
                return Decision<MemberJoined>.Refuse(Refusal.Full);
            }

            var becomesHost = attempt.Match == SecretMatch.Host || (HostAssignment == HostAssignment.First && _hostId == 0);
            return Decision<MemberJoined>.Accept(new MemberJoined(
                _lastClientId + 1,
                attempt.Name,
                attempt.UserId,
                attempt.NodeId,
                attempt.Now,
                becomesHost,
                attempt.Resumable && IsSequenced,
                attempt.Resumable && IsSequenced ? attempt.ResumeTokenDigest : null,
                attempt.JoinToken), Version);
        }
    }

    /// <summary>
    /// The departure of <paramref name="clientId"/> for <paramref name="reason"/>, with the host rule applied if it is
    /// the host. With <paramref name="requiredHostId"/> (a host's kick), only while that client is still host.
    /// </summary>
    public Decision<MemberLeft> DecideLeave(int clientId, string reason, string? kickReason = null, int requiredHostId = 0)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return Decision<MemberLeft>.Refuse(Refusal.RoomClosed);
            }

            if (requiredHostId != 0 && _hostId != requiredHostId)
            {
                return Decision<MemberLeft>.Refuse(Refusal.NotHost);
            }

            if (Find(clientId) is null)
            {
                return Decision<MemberLeft>.Refuse(Refusal.NotMember);
            }

            return Decision<MemberLeft>.Accept(new MemberLeft(clientId, reason, kickReason, SuccessionAfter(clientId)), Version);
        }
    }

    /// <summary>A resumable member lost its connection: it stays, away, for the room's window.</summary>
    public Decision<MemberAway> DecideAway(int clientId, DateTimeOffset now)
    {
        lock (_gate)
        {
            var member = _closed ? null : Find(clientId);
            if (member is null)
            {
                return Decision<MemberAway>.Refuse(_closed ? Refusal.RoomClosed : Refusal.NotMember);
            }

            if (!member.Resumable || ResumeWindowSeconds == 0)
            {
                return Decision<MemberAway>.Refuse(Refusal.NotResumable);
            }

            return member.IsAway
                ? Decision<MemberAway>.Refuse(Refusal.Unchanged)
                : Decision<MemberAway>.Accept(new MemberAway(clientId, now.AddSeconds(ResumeWindowSeconds)), Version);
        }
    }

    /// <summary>A timed-out away member leaves for good (`timeout`), only while it is still away past its window.</summary>
    public Decision<MemberLeft> DecideTimeout(int clientId, DateTimeOffset now, string reason)
    {
        lock (_gate)
        {
            var member = _closed ? null : Find(clientId);
            return member is { IsAway: true } && member.AwayUntil <= now
                ? Decision<MemberLeft>.Accept(new MemberLeft(clientId, reason, null, SuccessionAfter(clientId)), Version)
                : Decision<MemberLeft>.Refuse(Refusal.Unchanged);
        }
    }

    /// <summary>The member holding <paramref name="tokenDigest"/> comes back on a connection of <paramref name="nodeId"/>.</summary>
    public Decision<MemberBack> DecideBack(ReadOnlySpan<byte> tokenDigest, byte[] newTokenDigest, string nodeId, string joinToken, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return Decision<MemberBack>.Refuse(Refusal.RoomClosed);
            }

            Session? found = null;
            foreach (var member in _members)
            {
                // Every member's digest is compared, in constant time: nothing tells which one was close.
                if (member.ResumeTokenDigest is { } digest
                    && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(digest, tokenDigest))
                {
                    found = member;
                }
            }

            if (found is null || !found.Resumable || ResumeWindowSeconds == 0)
            {
                return Decision<MemberBack>.Refuse(Refusal.UnknownToken);
            }

            if (found.IsAway && found.AwayUntil <= now)
            {
                // Its window is over, even if the timeout has not been applied yet.
                return Decision<MemberBack>.Refuse(Refusal.UnknownToken);
            }

            return Decision<MemberBack>.Accept(new MemberBack(found.ClientId, nodeId, newTokenDigest, found.IsAway, joinToken), Version);
        }
    }

    /// <summary>The host <paramref name="hostId"/> hands its role to <paramref name="clientId"/>.</summary>
    public Decision<HostTransferred> DecideTransfer(int hostId, int clientId)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return Decision<HostTransferred>.Refuse(Refusal.RoomClosed);
            }

            if (_hostId != hostId || hostId == 0)
            {
                return Decision<HostTransferred>.Refuse(Refusal.NotHost);
            }

            if (clientId == hostId)
            {
                return Decision<HostTransferred>.Refuse(Refusal.Unchanged);
            }

            return Find(clientId) is null
                ? Decision<HostTransferred>.Refuse(Refusal.NotMember)
                : Decision<HostTransferred>.Accept(new HostTransferred(clientId), Version);
        }
    }

    /// <summary>A backend's change; a null leaves a value as it is. Lowering the seats keeps present clients.</summary>
    public Decision<RoomUpdated> DecideUpdate(int? maxClients, bool? locked, RoomMetadata? metadata, int? resumeWindowSeconds)
    {
        if (maxClients is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(max, 1, nameof(maxClients));
        }

        lock (_gate)
        {
            return _closed
                ? Decision<RoomUpdated>.Refuse(Refusal.RoomClosed)
                : Decision<RoomUpdated>.Accept(new RoomUpdated(
                    maxClients ?? MaxClients,
                    locked ?? Locked,
                    metadata ?? Metadata,
                    resumeWindowSeconds ?? ResumeWindowSeconds), Version);
        }
    }

    /// <summary>Closes the room; with <paramref name="requiredHostId"/> (a host's `close_room`), only while that client is host.</summary>
    public Decision<RoomClosed> DecideClose(string reason, ushort closeCode, string? message = null, int requiredHostId = 0)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return Decision<RoomClosed>.Refuse(Refusal.RoomClosed);
            }

            return requiredHostId != 0 && _hostId != requiredHostId
                ? Decision<RoomClosed>.Refuse(Refusal.NotHost)
                : Decision<RoomClosed>.Accept(new RoomClosed(reason, closeCode, message), Version);
        }
    }

    /// <summary>Expiry: closes the room only when it has been empty for at least <paramref name="ttl"/>.</summary>
    public Decision<RoomClosed> DecideExpire(DateTimeOffset now, TimeSpan ttl, string reason)
    {
        lock (_gate)
        {
            return _closed || _members.Length > 0 || EmptySince is not { } since || now - since < ttl
                ? Decision<RoomClosed>.Refuse(Refusal.Unchanged)
                : Decision<RoomClosed>.Accept(new RoomClosed(reason, CloseCodes.RoomClosed, null), Version);
        }
    }

    /// <summary>
    /// The host rule for the departure of <paramref name="clientId"/> (under the gate): nothing when it is not the
    /// host; else the protocol's action, passing the role to the longest-connected member that is not away (to an
    /// away one only when all are away).
    /// </summary>
    private HostSuccession SuccessionAfter(int clientId)
    {
        if (_hostId != clientId)
        {
            return HostSuccession.Unchanged;
        }

        switch (Protocol.OnHostLeft(HostAssignment))
        {
            case HostLeftAction.CloseRoom:
                return new HostSuccession(SuccessionKind.CloseRoom, 0);
            case HostLeftAction.NoHost:
                return new HostSuccession(SuccessionKind.NoHost, 0);
        }

        Session? away = null;
        foreach (var member in _members)
        {
            if (member.ClientId == clientId)
            {
                continue;
            }

            if (!member.IsAway)
            {
                return new HostSuccession(SuccessionKind.PassTo, member.ClientId);
            }

            away ??= member;
        }

        return away is null ? new HostSuccession(SuccessionKind.NoHost, 0) : new HostSuccession(SuccessionKind.PassTo, away.ClientId);
    }

    // ---- Applying events: every copy of the room, in event order, under the gate. ---------------------------

    /// <summary>
    /// Seats the joiner of <paramref name="joined"/>: a connection of this node (<paramref name="connection"/>) or a
    /// stand-in for a member connected to <paramref name="remoteNode"/>. <paramref name="beforeVisible"/> runs once it
    /// is seated but before other threads can see it among <see cref="Members"/>, so that what it queues (the
    /// `connected` reply) comes before any relay. Null when the id is already seated or the room is closed.
    /// </summary>
    public Session? ApplyJoin(MemberJoined joined, long seq, IConnection? connection, string? remoteNode, Action<Session>? beforeVisible = null, bool hidden = false)
    {
        ArgumentNullException.ThrowIfNull(joined);
        lock (_gate)
        {
            Advance(seq);
            if (_closed || Find(joined.ClientId) is not null)
            {
                return null;
            }

            var session = new Session(this, joined, seq, connection is null ? remoteNode : null) { IsHidden = hidden };
            if (connection is not null)
            {
                session.Connect(connection);
            }

            _lastClientId = Math.Max(_lastClientId, joined.ClientId);
            EmptySince = null;
            if (joined.BecomesHost)
            {
                Volatile.Write(ref _hostId, joined.ClientId);
            }

            beforeVisible?.Invoke(session);
            Insert(session);
            return session;
        }
    }

    /// <summary>
    /// Removes the member of <paramref name="left"/> and applies its host succession; returns it (null when it was not
    /// seated) with the connection it had here.
    /// </summary>
    public (Session? Member, IConnection? Connection) ApplyLeave(MemberLeft left, long seq, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(left);
        lock (_gate)
        {
            Advance(seq);
            var member = Find(left.ClientId);
            if (member is null)
            {
                return (null, null);
            }

            var connection = Remove(member, now);
            switch (left.Succession.Kind)
            {
                case SuccessionKind.PassTo when Find(left.Succession.NextHostId) is not null:
                    Volatile.Write(ref _hostId, left.Succession.NextHostId);
                    break;
                case SuccessionKind.PassTo:
                case SuccessionKind.NoHost:
                case SuccessionKind.CloseRoom:
                    Volatile.Write(ref _hostId, 0);
                    break;
            }

            return (member, connection);
        }
    }

    /// <summary>The member of <paramref name="away"/> lost its connection; returns it (its old connection is unlinked).</summary>
    public Session? ApplyAway(MemberAway away, long seq)
    {
        ArgumentNullException.ThrowIfNull(away);
        lock (_gate)
        {
            Advance(seq);
            var member = Find(away.ClientId);
            if (member is null)
            {
                return null;
            }

            if (member.IsRemote)
            {
                Volatile.Write(ref _remoteMembers, _remoteMembers - 1);
            }

            member.MarkAway(away.Until);
            return member;
        }
    }

    /// <summary>
    /// The member of <paramref name="back"/> is back: on <paramref name="connection"/> here, or on
    /// <paramref name="remoteNode"/>. Returns it with the connection it had here before (to close with 4005), if any.
    /// </summary>
    public (Session? Member, IConnection? Replaced) ApplyBack(MemberBack back, long seq, IConnection? connection, string? remoteNode)
    {
        ArgumentNullException.ThrowIfNull(back);
        lock (_gate)
        {
            Advance(seq);
            var member = Find(back.ClientId);
            if (member is null)
            {
                return (null, null);
            }

            var wasRemote = member.IsRemote;
            var replaced = member.MoveTo(connection is null ? remoteNode : null, back.ResumeTokenDigest);
            if (connection is not null)
            {
                member.Connect(connection);
            }

            var isRemote = member.IsRemote;
            if (wasRemote != isRemote)
            {
                Volatile.Write(ref _remoteMembers, _remoteMembers + (isRemote ? 1 : -1));
            }

            return (member, replaced);
        }
    }

    /// <summary>Gives the member of <paramref name="clientId"/> a new resume token (after `connected`).</summary>
    public void ReplaceToken(int clientId, byte[] digest)
    {
        lock (_gate)
        {
            Find(clientId)?.ReplaceToken(digest);
        }
    }

    /// <summary>Makes <paramref name="hostId"/> host (null: none); false when nothing changed.</summary>
    public bool ApplyHost(int? hostId, long seq)
    {
        lock (_gate)
        {
            Advance(seq);
            var id = hostId ?? 0;
            if (_closed || _hostId == id || (id != 0 && Find(id) is null))
            {
                return false;
            }

            Volatile.Write(ref _hostId, id);
            return true;
        }
    }

    public void ApplyUpdate(RoomUpdated updated, long seq)
    {
        ArgumentNullException.ThrowIfNull(updated);
        lock (_gate)
        {
            Advance(seq);
            MaxClients = updated.MaxClients;
            Locked = updated.Locked;
            Metadata = updated.Metadata;
            ResumeWindowSeconds = updated.ResumeWindowSeconds;
        }
    }

    /// <summary>
    /// Closes the room for good: no one may join again. Returns the members it had (now detached) with their
    /// connections here, or an empty array when it was already closed.
    /// </summary>
    /// <param name="seq">The closing event's sequence number.</param>
    /// <param name="partOfDeparture">True when the close is the host rule of a departure just applied (one event, not two).</param>
    public (Session Member, IConnection? Connection)[] ApplyClose(long seq, bool partOfDeparture = false)
    {
        lock (_gate)
        {
            if (!partOfDeparture)
            {
                Advance(seq);
            }

            if (_closed)
            {
                return [];
            }

            _closed = true;
            History?.Clear();
            var members = _members;
            Volatile.Write(ref _members, []);
            Volatile.Write(ref _hostId, 0);
            Volatile.Write(ref _remoteMembers, 0);
            Volatile.Write(ref _resumableMembers, 0);
            var detached = new (Session, IConnection?)[members.Length];
            for (var i = 0; i < members.Length; i++)
            {
                detached[i] = (members[i], members[i].Detach());
            }

            return detached;
        }
    }

    /// <summary>This copy keeps the room's history itself (a single node; a cluster keeps it in its store).</summary>
    public void KeepHistory(int maxMessages, long maxBytes)
    {
        lock (_gate)
        {
            History ??= new RoomHistory(maxMessages, maxBytes);
        }
    }

    /// <summary>Lets go of history entries older than the window (a room that went quiet keeps nothing it no longer needs).</summary>
    public void ExpireHistory(DateTimeOffset now)
    {
        lock (_gate)
        {
            History?.Expire(now, TimeSpan.FromSeconds(ResumeWindowSeconds));
        }
    }

    /// <summary>A sequence number for a relay (under the gate, with its delivery): the next one.</summary>
    public long NextSeq()
    {
        lock (_gate)
        {
            var next = _seq + 1;
            Volatile.Write(ref _seq, next);
            return next;
        }
    }

    /// <summary>Takes a sequence number decided elsewhere (a shared store) for a relay.</summary>
    public void AdvanceTo(long seq)
    {
        lock (_gate)
        {
            if (seq > _seq)
            {
                Volatile.Write(ref _seq, seq);
            }
        }
    }

    /// <summary>
    /// Brings the room's counters in line with a snapshot of a shared store, once its members have been reconciled:
    /// the version and sequence the store holds, and its last client id and host.
    /// </summary>
    public void Restore(long version, long seq, int lastClientId, int? hostId, bool locked, int maxClients, RoomMetadata metadata, int resumeWindowSeconds, DateTimeOffset? emptySince)
    {
        lock (_gate)
        {
            Version = version;
            Volatile.Write(ref _seq, seq);
            _lastClientId = Math.Max(_lastClientId, lastClientId);
            Volatile.Write(ref _hostId, hostId is { } h && Find(h) is not null ? h : 0);
            Locked = locked;
            MaxClients = maxClients;
            Metadata = metadata;
            ResumeWindowSeconds = resumeWindowSeconds;
            EmptySince = _members.Length == 0 ? emptySince ?? EmptySince : null;
        }
    }

    /// <summary>Seats a member as a store's snapshot lists it (loading a copy of a shared room).</summary>
    public Session? RestoreMember(MemberJoined member, long joinSeq, string? remoteNode, bool away, DateTimeOffset? awayUntil, bool hidden = false)
    {
        ArgumentNullException.ThrowIfNull(member);
        lock (_gate)
        {
            if (_closed || Find(member.ClientId) is not null)
            {
                return null;
            }

            var session = new Session(this, member, joinSeq, away ? null : remoteNode) { IsHidden = hidden };
            if (away)
            {
                session.MarkAway(awayUntil ?? DateTimeOffset.MinValue);
            }

            _lastClientId = Math.Max(_lastClientId, member.ClientId);
            EmptySince = null;
            Insert(session);
            return session;
        }
    }

    /// <summary>
    /// The connection of a member is gone while its departure cannot be committed (a store outage): it keeps its seat,
    /// hidden, as a stand-in of <paramref name="node"/>, so that this copy still mirrors the store. False when it was gone.
    /// </summary>
    public bool Hide(Session member, string node)
    {
        ArgumentNullException.ThrowIfNull(member);
        lock (_gate)
        {
            if (Array.IndexOf(_members, member) < 0 || member.IsHidden)
            {
                return false;
            }

            var wasRemote = member.IsRemote;
            member.Hide(node);
            if (!wasRemote)
            {
                Volatile.Write(ref _remoteMembers, _remoteMembers + 1);
            }

            return true;
        }
    }

    /// <summary>
    /// Brings a member in line with its stored record (reconciling a copy with its store's snapshot): where its
    /// connection is (<paramref name="remoteNode"/>, null for this node), whether it is away, and its resume token.
    /// Returns the connection it had here if it now lives elsewhere or is away.
    /// </summary>
    public IConnection? Sync(Session member, string? remoteNode, DateTimeOffset? awayUntil, byte[]? tokenDigest)
    {
        ArgumentNullException.ThrowIfNull(member);
        lock (_gate)
        {
            if (Array.IndexOf(_members, member) < 0 || member.IsHidden)
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

            if (wasRemote != member.IsRemote)
            {
                Volatile.Write(ref _remoteMembers, _remoteMembers + (member.IsRemote ? 1 : -1));
            }

            return gone;
        }
    }

    /// <summary>Takes a member out without an event (reconciling a copy with its store's snapshot).</summary>
    public IConnection? RemoveWithoutEvent(Session member, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(member);
        lock (_gate)
        {
            return Array.IndexOf(_members, member) < 0 ? null : Remove(member, now);
        }
    }

    /// <summary>A membership event was applied with sequence number <paramref name="seq"/> (under the gate).</summary>
    private void Advance(long seq)
    {
        Version++;
        if (seq > _seq)
        {
            Volatile.Write(ref _seq, seq);
        }
    }

    /// <summary>Publishes the member list with <paramref name="session"/> added, kept in join order (client-id order).</summary>
    private void Insert(Session session)
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
            Volatile.Write(ref _remoteMembers, _remoteMembers + 1);
        }

        if (session.Resumable)
        {
            Volatile.Write(ref _resumableMembers, _resumableMembers + 1);
        }
    }

    private IConnection? Remove(Session member, DateTimeOffset now)
    {
        var members = _members;
        var index = Array.IndexOf(members, member);
        var next = new Session[members.Length - 1];
        members.AsSpan(0, index).CopyTo(next);
        members.AsSpan(index + 1).CopyTo(next.AsSpan(index));
        Volatile.Write(ref _members, next);
        if (member.IsRemote)
        {
            Volatile.Write(ref _remoteMembers, _remoteMembers - 1);
        }

        if (member.Resumable)
        {
            Volatile.Write(ref _resumableMembers, _resumableMembers - 1);
        }

        if (_hostId == member.ClientId)
        {
            Volatile.Write(ref _hostId, 0);
        }

        if (next.Length == 0)
        {
            EmptySince = now;
        }

        return member.Detach();
    }
}

/// <summary>What a room is made with.</summary>
public sealed record RoomSettings(
    string Id,
    SecretHash Secret,
    SecretHash HostSecret,
    IRoomProtocol Protocol,
    HostAssignment HostAssignment,
    int MaxClients,
    RoomMetadata Metadata,
    int ResumeWindowSeconds,
    string Epoch);
