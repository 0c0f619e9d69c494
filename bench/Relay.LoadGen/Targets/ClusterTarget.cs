using System.Net;

namespace Relay.LoadGen.Targets;

/// <summary>
/// Several nodes of one cluster seen as one target: rooms are created on the first node and client <c>i</c> of a
/// workload joins through node <c>i mod N</c> (<see cref="NodeOf"/>), so with two nodes the clients of every room
/// alternate between them and each broadcast reaches receivers on its sender's node and on the other one.
/// With a single node it only gives that node another name (e.g. `relay-redis`).
/// </summary>
public sealed class ClusterTarget : ITarget
{
    private int _next = -1;

    /// <param name="name">The name in tables and results, e.g. `relay-cluster`.</param>
    /// <param name="nodes">One target per node, in node order (A, B, ...); this target disposes them.</param>
    public ClusterTarget(string name, IReadOnlyList<ITarget> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count == 0)
        {
            throw new ArgumentException("a cluster needs at least one node", nameof(nodes));
        }

        Name = name;
        Nodes = nodes;
    }

    public string Name { get; }

    public IReadOnlyList<ITarget> Nodes { get; }

    /// <summary>Whether the clients are spread over more than one node (and latency is split by node).</summary>
    public bool IsSplit => Nodes.Count > 1;

    /// <summary>The node (0-based) that client <paramref name="index"/> of a workload joins through.</summary>
    public int NodeOf(int index) => index % Nodes.Count;

    /// <summary>The node's target for client <paramref name="index"/>.</summary>
    public ITarget NodeFor(int index) => Nodes[NodeOf(index)];

    /// <summary>Node name for tables: `A`, `B`, ...</summary>
    public static string NodeName(int node) => ((char)('A' + node)).ToString();

    public Task<string> CreateRoomAsync(int maxClients, CancellationToken cancellationToken) =>
        Nodes[0].CreateRoomAsync(maxClients, cancellationToken);

    /// <summary>Without a client index (callers other than the workloads' connect helper): round robin over the nodes.</summary>
    public Task<IBenchClient> ConnectAsync(string room, IPAddress? localAddress, Action<ReadOnlyMemory<byte>, long> onMessage, CancellationToken cancellationToken) =>
        NodeFor((int)((uint)Interlocked.Increment(ref _next) % (uint)Nodes.Count)).ConnectAsync(room, localAddress, onMessage, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }
    }
}
