using System.Collections.Concurrent;

namespace Relay.Application.Rooms.Membership;

/// <summary>
/// Seats this node holds in the shared store without a connection behind them: a departure that could not be
/// committed while the store was unreachable, or a join whose connection gave up before its event came back. They
/// are committed as departures when the store answers again.
/// </summary>
public sealed class Orphans
{
    private readonly ConcurrentDictionary<(string RoomId, int ClientId), string> _seats = new();

    public int Count => _seats.Count;

    /// <summary>Adds a seat to give back (once: a seat already listed keeps its first reason).</summary>
    public void Add(string roomId, int clientId, string reason) => _seats.TryAdd((roomId, clientId), reason);

    public bool Contains(string roomId, int clientId) => _seats.ContainsKey((roomId, clientId));

    /// <summary>The seats listed now.</summary>
    public IReadOnlyList<Orphan> Snapshot() => [.. _seats.Select(s => new Orphan(s.Key.RoomId, s.Key.ClientId, s.Value))];

    /// <summary>The seat was given back (or is gone).</summary>
    public void Remove(Orphan orphan) => _seats.TryRemove((orphan.RoomId, orphan.ClientId), out _);
}

/// <summary>A seat to give back: <paramref name="ClientId"/> of <paramref name="RoomId"/> leaves with <paramref name="Reason"/>.</summary>
public readonly record struct Orphan(string RoomId, int ClientId, string Reason);
