using System.Collections.Frozen;
using Relay.Domain.Rooms;

namespace Relay.Application.Protocols;

/// <summary>The room protocols this server offers, by name. Each is one <see cref="IRoomProtocol"/> registered in DI.</summary>
public sealed class ProtocolRegistry
{
    private readonly FrozenDictionary<string, IRoomProtocol> _byName;

    public ProtocolRegistry(IEnumerable<IRoomProtocol> protocols)
    {
        _byName = protocols.ToFrozenDictionary(p => p.Name, StringComparer.Ordinal);
        Names = [.. _byName.Keys.Order(StringComparer.Ordinal)];
    }

    public IReadOnlyList<string> Names { get; }

    public bool TryGet(string name, out IRoomProtocol protocol) =>
        _byName.TryGetValue(name, out protocol!);

    public IRoomProtocol Get(string name) =>
        TryGet(name, out var protocol) ? protocol : throw new KeyNotFoundException($"No protocol named '{name}'.");
}
