using Relay.Domain.Sessions;

namespace Relay.Domain.Rooms;

/// <summary>
/// A group of sessions with at most one host. The room guards its invariants: seats, lock, membership,
/// client ids assigned in join order and never reused, and a single host. Every change happens under
/// <see cref="Gate"/>; readers on the hot path take the immutable <see cref="Members"/> snapshot instead.
/// </summary>
public sealed class Room
{
    private readonly Lock _gate = new();
    private readonly SecretHash _secret;
    private readonly SecretHash _hostSecret;
    private Session[] _members = [];
    private int _lastClientId;
    private int _hostId;
    private bool _closed;

    public Room(
        string id,
        SecretHash secret,
        SecretHash hostSecret,
        IRoomProtocol protocol,
        HostAssignment hostAssignment,
        int maxClients,
        RoomMetadata metadata,
        DateTimeOffset createdAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(hostSecret);
        ArgumentNullException.ThrowIfNull(protocol);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxClients, 1);

        Id = id;
        _secret = secret;
        _hostSecret = hostSecret;
        Protocol = protocol;
        HostAssignment = hostAssignment;
        MaxClients = maxClients;
        Metadata = metadata;
        CreatedAt = createdAt;
        EmptySince = createdAt;
    }

    public string Id { get; }

    public IRoomProtocol Protocol { get; }

    public HostAssignment HostAssignment { get; }

    public int MaxClients { get; private set; }

    public bool Locked { get; private set; }

    public RoomMetadata Metadata { get; private set; }

    public DateTimeOffset CreatedAt { get; }

    /// <summary>Since when the room has had no clients; null while it has some.</summary>
    public DateTimeOffset? EmptySince { get; private set; }

    /// <summary>
    /// The lock that orders every change to the room. Application code holds it around a change and the
    /// notifications it causes, so every member sees events in the same order as the state changed.
    /// </summary>
    public Lock Gate => _gate;

    /// <summary>The current members in join order (longest-connected first): an immutable snapshot.</summary>
    public ReadOnlySpan<Session> Members => Volatile.Read(ref _members);

    public int ClientCount => Volatile.Read(ref _members).Length;

    /// <summary>The host's client id, or null when the room has no host.</summary>
    public int? HostId
    {
        get
        {
            var id = Volatile.Read(ref _hostId);
            return id == 0 ? null : id;
        }
    }

    public bool IsClosed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    /// <summary>Checks a presented secret against both secrets, always doing both comparisons.</summary>
    public SecretMatch MatchSecret(ReadOnlySpan<byte> presentedDigest)
    {
        var host = _hostSecret.Matches(presentedDigest);
        var member = _secret.Matches(presentedDigest);
        return host ? SecretMatch.Host : member ? SecretMatch.Member : SecretMatch.None;
    }

    /// <summary>
    /// Seats <paramref name="session"/> with the next client id. It becomes host when it presented the host
    /// secret (demoting any host) or, with <see cref="HostAssignment.First"/>, when the room has no host.
    /// <paramref name="beforeVisible"/> runs once the session is seated but before other threads can see it
    /// among <see cref="Members"/>, so that what it queues (the `connected` reply) comes before any relay.
    /// </summary>
    public JoinResult Join(Session session, string? name, bool presentsHostSecret, DateTimeOffset now, Action<JoinResult>? beforeVisible = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (_gate)
        {
            if (_closed)
            {
                return new JoinResult(JoinStatus.Closed, 0, false);
            }

            if (session.Room is not null)
            {
                return new JoinResult(JoinStatus.AlreadyInRoom, 0, false);
            }

            if (Locked)
            {
                return new JoinResult(JoinStatus.Locked, 0, false);
            }

            if (_members.Length >= MaxClients)
            {
                return new JoinResult(JoinStatus.Full, 0, false);
            }

            var becomesHost = presentsHostSecret || (HostAssignment == HostAssignment.First && _hostId == 0);
            return Seat(session, ++_lastClientId, name, becomesHost, now, beforeVisible);
        }
    }

    /// <summary>
    /// Seats <paramref name="session"/> with a client id the cluster already decided (a replica applying the
    /// authority's join): no seat or lock check, the id keeps join order. <paramref name="becomesHost"/> makes it host.
    /// </summary>
    public JoinResult JoinAs(Session session, int clientId, string? name, bool becomesHost, DateTimeOffset joinedAt, Action<JoinResult>? beforeVisible = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentOutOfRangeException.ThrowIfLessThan(clientId, 1);
        lock (_gate)
        {
            if (_closed)
            {
                return new JoinResult(JoinStatus.Closed, 0, false);
            }

            if (session.Room is not null || Find(clientId) is not null)
            {
                return new JoinResult(JoinStatus.AlreadyInRoom, 0, false);
            }

            _lastClientId = Math.Max(_lastClientId, clientId);
            return Seat(session, clientId, name, becomesHost, joinedAt, beforeVisible);
        }
    }

    /// <summary>
    /// Seats a session whose join was allowed (under the gate): attaches it, makes it host if it
    /// <paramref name="becomesHost"/>, runs <paramref name="beforeVisible"/>, then publishes the new member list,
    /// kept in join order, which is client-id order.
    /// </summary>
    private JoinResult Seat(Session session, int clientId, string? name, bool becomesHost, DateTimeOffset joinedAt, Action<JoinResult>? beforeVisible)
    {
        session.Attach(this, clientId, name, joinedAt);
        EmptySince = null;
        if (becomesHost)
        {
            Volatile.Write(ref _hostId, clientId);
        }

        var result = new JoinResult(JoinStatus.Joined, clientId, becomesHost);
        beforeVisible?.Invoke(result);

        var members = _members;
        var index = members.Length;
        while (index > 0 && members[index - 1].ClientId > clientId)
        {
            index--;
        }

        Volatile.Write(ref _members, [.. members.AsSpan(0, index), session, .. members.AsSpan(index)]);
        return result;
    }

    /// <summary>Sets the host as the cluster decided it (null: no host); false when it was already so.</summary>
    public bool SetHost(int? clientId)
    {
        lock (_gate)
        {
            var id = clientId ?? 0;
            if (_closed || _hostId == id)
            {
                return false;
            }

            Volatile.Write(ref _hostId, id);
            return true;
        }
    }

    /// <summary>Removes <paramref name="session"/> if it is still a member; a host that leaves leaves the room without one.</summary>
    public RemoveResult Remove(Session session, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (_gate)
        {
            var members = _members;
            var index = Array.IndexOf(members, session);
            if (index < 0)
            {
                return new RemoveResult(false, 0, false);
            }

            var clientId = session.ClientId;
            var next = new Session[members.Length - 1];
            members.AsSpan(0, index).CopyTo(next);
            members.AsSpan(index + 1).CopyTo(next.AsSpan(index));
            Volatile.Write(ref _members, next);

            var wasHost = _hostId == clientId;
            if (wasHost)
            {
                Volatile.Write(ref _hostId, 0);
            }

            if (next.Length == 0)
            {
                EmptySince = now;
            }

            session.Detach();
            return new RemoveResult(true, clientId, wasHost);
        }
    }

    /// <summary>Makes the longest-connected member host; returns it, or null when the room is empty.</summary>
    public Session? PromoteLongestConnected()
    {
        lock (_gate)
        {
            if (_closed || _members.Length == 0)
            {
                return null;
            }

            var next = _members[0];
            Volatile.Write(ref _hostId, next.ClientId);
            return next;
        }
    }

    /// <summary>Makes member <paramref name="clientId"/> host; false when no such member.</summary>
    public bool TransferHost(int clientId)
    {
        lock (_gate)
        {
            if (_closed || Find(clientId) is null)
            {
                return false;
            }

            Volatile.Write(ref _hostId, clientId);
            return true;
        }
    }

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

    /// <summary>Changes what a backend may change. Lowering <paramref name="maxClients"/> keeps present clients.</summary>
    public void Update(int? maxClients, bool? locked, RoomMetadata? metadata)
    {
        if (maxClients is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(max, 1, nameof(maxClients));
        }

        lock (_gate)
        {
            if (maxClients is { } m)
            {
                MaxClients = m;
            }

            if (locked is { } l)
            {
                Locked = l;
            }

            if (metadata is not null)
            {
                Metadata = metadata;
            }
        }
    }

    /// <summary>
    /// Closes the room for good: no one may join again. Returns the members it had (now detached),
    /// or an empty array when it was already closed.
    /// </summary>
    public Session[] Close()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return [];
            }

            _closed = true;
            var members = _members;
            Volatile.Write(ref _members, []);
            Volatile.Write(ref _hostId, 0);
            foreach (var member in members)
            {
                member.Detach();
            }

            return members;
        }
    }

    /// <summary>Closes the room when it has been empty for at least <paramref name="ttl"/>.</summary>
    public bool TryExpire(DateTimeOffset now, TimeSpan ttl)
    {
        lock (_gate)
        {
            if (_closed || _members.Length > 0 || EmptySince is not { } since || now - since < ttl)
            {
                return false;
            }

            _closed = true;
            return true;
        }
    }
}
