using System.Collections.Concurrent;

namespace Relay.Application.Rooms.Membership;

/// <summary>
/// Seats this node holds in the shared store without a connection behind them: a departure that could not be
/// committed while the store was unreachable, or a join whose connection gave up before its event came back. They
/// are committed when the store answers again: as departures, or, for a resumable member whose connection dropped,
/// as the start of its away window.
/// </summary>
public sealed class Orphans
{
    private readonly ConcurrentDictionary<(string RoomId, int ClientId), Orphan> _seats = new();

    public int Count => _seats.Count;

    /// <summary>Adds a seat to give back (once: a seat already listed keeps its first reason).</summary>
    public void Add(string roomId, int clientId, string reason) => _seats.TryAdd((roomId, clientId), new Orphan(roomId, clientId, reason));

    /// <summary>
    /// Adds a resumable member whose connection dropped at <paramref name="since"/>: it becomes away from then, for its
    /// room's window, unless its seat came back on another connection meanwhile (its resume token is no longer
    /// <paramref name="tokenDigest"/>, or another node holds it).
    /// </summary>
    public void AddAway(string roomId, int clientId, string reason, DateTimeOffset since, byte[]? tokenDigest) =>
        _seats.TryAdd((roomId, clientId), new Orphan(roomId, clientId, reason, since, tokenDigest));

    public bool Contains(string roomId, int clientId) => _seats.ContainsKey((roomId, clientId));

    /// <summary>The seats listed now.</summary>
    public IReadOnlyList<Orphan> Snapshot() => [.. _seats.Values];

    /// <summary>The seat was given back (or is gone).</summary>
    public void Remove(Orphan orphan) => _seats.TryRemove(new KeyValuePair<(string, int), Orphan>((orphan.RoomId, orphan.ClientId), orphan));
}

/// <summary>
/// A seat to give back: <paramref name="ClientId"/> of <paramref name="RoomId"/> leaves with <paramref name="Reason"/>;
/// or, with <paramref name="AwaySince"/>, becomes away from then while it still holds <paramref name="TokenDigest"/>.
/// </summary>
public sealed record Orphan(string RoomId, int ClientId, string Reason, DateTimeOffset? AwaySince = null, byte[]? TokenDigest = null);
