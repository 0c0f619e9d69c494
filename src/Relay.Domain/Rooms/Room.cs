using Relay.Domain.Connections;

namespace Relay.Domain.Rooms;

/// <summary>
/// A group of sessions with at most one host. The room guards its invariants — seats, lock, membership, client ids
/// in join order never reused, a single host, closed for good: every change is decided by its rules
/// (<see cref="RoomDecider"/>'s <c>Decide*</c>: pure, returning the event to commit or why not) and happens only
/// when its event is applied here (<c>Apply*</c>), in the same order on every copy of the room, under
/// <see cref="Gate"/>. Readers on the hot path take the immutable <see cref="Members"/> snapshot (kept by its
/// <see cref="MemberList"/>) instead of the gate.
/// </summary>
public sealed class Room
{
    private readonly Lock _gate = new();
    private readonly SecretHash _secret;
    private readonly SecretHash _hostSecret;
    private readonly MemberList _members = new();
    private int _lastClientId;
    private int _hostId;
    private long _seq;
    private long _relayedHere;
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
    public ReadOnlySpan<Session> Members => _members.Snapshot;

    /// <summary>Members, away ones included (they hold their seats).</summary>
    public int ClientCount => _members.Snapshot.Length;

    /// <summary>True while some member joined with `resume: true` (only then does the room's history need to be kept).</summary>
    public bool HasResumableMembers => _members.HasResumable;

    /// <summary>True while some member is connected to another node (a relay must be passed on).</summary>
    public bool HasRemoteMembers => _members.HasRemote;

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

    /// <summary>
    /// Relay messages accepted in the room, each counted once (not per recipient): <see cref="RelayedBefore"/> and
    /// those relayed through this copy.
    /// </summary>
    public long MessagesRelayed => RelayedBefore + RelayedHere;

    /// <summary>The room's count when this copy was read from a shared store (0 for a room made here).</summary>
    public long RelayedBefore { get; init; }

    /// <summary>Relay messages accepted through this copy of the room.</summary>
    public long RelayedHere => Interlocked.Read(ref _relayedHere);

    /// <summary>Counts one relay message accepted in the room: one interlocked add, on the relay path.</summary>
    public void CountRelay() => Interlocked.Increment(ref _relayedHere);

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
    public Session? Find(int clientId) => _members.Find(clientId);

    /// <summary>The host's session, or null.</summary>
    public Session? Host => HostId is { } id ? Find(id) : null;

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
            _members.Insert(session);
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

            _members.MarkAway(member, away.Until);
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

            var replaced = _members.Return(member, connection, remoteNode, back.ResumeTokenDigest);
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
            var members = _members.Clear();
            Volatile.Write(ref _hostId, 0);
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

    // ---- Replica synchronisation: a copy of a shared room brought in line with its store, without events. -----

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
            EmptySince = _members.Snapshot.Length == 0 ? emptySince ?? EmptySince : null;
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
            _members.Insert(session);
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
            return _members.Hide(member, node);
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
            return _members.Sync(member, remoteNode, awayUntil, tokenDigest);
        }
    }

    /// <summary>Takes a member out without an event (reconciling a copy with its store's snapshot).</summary>
    public IConnection? RemoveWithoutEvent(Session member, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(member);
        lock (_gate)
        {
            return _members.Contains(member) ? Remove(member, now) : null;
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

    /// <summary>Takes <paramref name="member"/> out (under the gate): it is no longer host, and the room may be empty since <paramref name="now"/>.</summary>
    private IConnection? Remove(Session member, DateTimeOffset now)
    {
        var left = _members.Remove(member);
        if (_hostId == member.ClientId)
        {
            Volatile.Write(ref _hostId, 0);
        }

        if (left == 0)
        {
            EmptySince = now;
        }

        return member.Detach();
    }
}
