using System.Globalization;
using System.Net;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Chaos;

/// <summary>
/// Relay nodes as real processes (<see cref="NodeProcess"/>) on a redis-server of their own, started with the debug
/// command enabled so that a test can stall it. The nodes reach Redis with a plain connection string, as an operator
/// would configure it (the client library's own timeouts, 5 s, are longer than the budget the nodes promise).
/// </summary>
internal sealed class ChaosCluster : IAsyncDisposable
{
    private readonly List<NodeProcess> _nodes = [];
    private readonly List<NodeProcess> _retired = [];
    private readonly ITestOutputHelper _output;
    private readonly (string Key, string Value)[] _extra;

    private ChaosCluster(ITestOutputHelper output, RedisServer redis, (string Key, string Value)[] extra)
    {
        _output = output;
        Redis = redis;
        _extra = extra;
    }

    public RedisServer Redis { get; }

    /// <summary>The `Relay:Redis:KeyPrefix` of this cluster.</summary>
    public string KeyPrefix { get; } = $"chaos-{Guid.NewGuid():N}"[..22];

    /// <summary>The current node of each slot (a replaced node's successor takes its slot).</summary>
    public IReadOnlyList<NodeProcess> Nodes => _nodes;

    public NodeProcess this[int slot] => _nodes[slot];

    /// <summary>Starts a redis-server and <paramref name="nodes"/> nodes (`node-0`, `node-1`, ...) and waits until all are ready.</summary>
    public static async Task<ChaosCluster> StartAsync(ITestOutputHelper output, int nodes, params (string Key, string Value)[] extra)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var cluster = await CreateAsync(output, new RedisServerOptions(DebugCommand: true), extra);
        try
        {
            var started = await Task.WhenAll(Enumerable.Range(0, nodes).Select(i => cluster.LaunchAsync($"node-{i.ToString(CultureInfo.InvariantCulture)}")));
            cluster._nodes.AddRange(started);
            foreach (var node in started)
            {
                await WaitReadyAsync(node, Bounds.Recover);
            }

            output.WriteLine($"cluster of {nodes} node processes on redis port {cluster.Redis.Port} ready after {watch.Elapsed.TotalSeconds:F1} s");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>A cluster with its redis-server and no node yet (<see cref="AddNodeAsync"/> adds them).</summary>
    public static async Task<ChaosCluster> CreateAsync(ITestOutputHelper output, RedisServerOptions redisOptions, params (string Key, string Value)[] extra) =>
        new(output, await RedisServer.StartAsync(redisOptions), extra);

    /// <summary>The settings of a node of this cluster that reaches Redis at <paramref name="redisAddress"/>.</summary>
    public (string Key, string Value)[] Settings(string redisAddress = "127.0.0.1") =>
    [
        ("Relay:Backplane", "Redis"),
        ("Relay:Redis:ConnectionString", $"{redisAddress}:{Redis.Port.ToString(CultureInfo.InvariantCulture)}"),
        ("Relay:Redis:KeyPrefix", KeyPrefix),
        .. Bounds.NodeSettings,
        .. _extra,
    ];

    /// <summary>Starts one more node (in a network namespace when <paramref name="networkNamespace"/> is given) and waits until it is ready.</summary>
    public async Task<NodeProcess> AddNodeAsync(
        string nodeId, string redisAddress = "127.0.0.1", string listenAddress = "127.0.0.1", string? networkNamespace = null)
    {
        var node = await LaunchAsync(nodeId, redisAddress, listenAddress, networkNamespace);
        _nodes.Add(node);
        await WaitReadyAsync(node, Bounds.Recover);
        return node;
    }

    /// <summary>
    /// Starts a successor for slot <paramref name="slot"/> under <paramref name="nodeId"/> once the current node of the
    /// slot has exited (killed or stopped by the test), and waits until it is ready.
    /// </summary>
    public async Task<NodeProcess> ReplaceAsync(int slot, string nodeId)
    {
        var old = _nodes[slot];
        Assert.True(old.HasExited, $"{old.NodeId} must be stopped before it is replaced");
        var node = await LaunchAsync(nodeId);
        _retired.Add(old);
        _nodes[slot] = node;
        await WaitReadyAsync(node, Bounds.Recover);
        return node;
    }

    /// <summary>Records the promise that no node stopped by itself (exited without the test killing or stopping it).</summary>
    public bool KeepNoNodeExited(PromiseLog promises)
    {
        ArgumentNullException.ThrowIfNull(promises);
        var exited = _nodes.Concat(_retired).Where(n => n.HasExited && !n.ExitExpected).ToList();
        return promises.Keep(
            "no node exits",
            exited.Count == 0,
            exited.Count == 0 ? $"{_nodes.Count} nodes running" : string.Join("\n", exited.Select(n => n.ExitReport())));
    }

    /// <summary>
    /// Polls `/readyz` of <paramref name="node"/> until it answers <paramref name="expected"/>, which must happen within
    /// <paramref name="timeout"/> (an answer that comes later counts as none); fails fast when the node has exited.
    /// </summary>
    public static async Task<TimeSpan> WaitReadyAsync(NodeProcess node, TimeSpan timeout, HttpStatusCode expected = HttpStatusCode.OK)
    {
        ArgumentNullException.ThrowIfNull(node);
        var elapsed = await Eventually.HoldsAsync(
            async () =>
            {
                var (status, observed) = await node.GetStatusAsync("/readyz", Bounds.Answer);
                return (status == expected, observed);
            },
            timeout,
            $"{node.NodeId} /readyz answering {(int)expected}");
        Assert.True(elapsed <= timeout, $"{node.NodeId} /readyz answered {(int)expected} only after {elapsed.TotalSeconds:F2} s (bound {timeout.TotalSeconds:F1} s)");
        return elapsed;
    }

    /// <summary>
    /// Notes what an operator would see on each node at <paramref name="moment"/>: `/readyz`, the
    /// `relay_backplane_available` gauge and how many warnings and errors it has logged (for the fault table; no promise).
    /// </summary>
    public async Task NoteOperatorViewAsync(PromiseLog promises, string moment)
    {
        ArgumentNullException.ThrowIfNull(promises);
        foreach (var node in _nodes)
        {
            if (node.HasExited || node.IsPaused)
            {
                promises.Note($"operator view {moment}: {node.NodeId} {(node.HasExited ? $"exited with {node.ExitCode}" : "paused")}");
                continue;
            }

            var (_, ready) = await node.GetStatusAsync("/readyz", Bounds.Answer);
            string available;
            try
            {
                available = (await node.MetricAsync("relay_backplane_available", Bounds.Answer))?.ToString(CultureInfo.InvariantCulture) ?? "absent";
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or Xunit.Sdk.XunitException)
            {
                available = "no answer";
            }

            var problems = node.Problems();
            promises.Note($"operator view {moment}: {node.NodeId} /readyz {ready}; relay_backplane_available {available}; " +
                $"{problems.Count} warnings/errors logged, last: {(problems.Count > 0 ? NodeProcess.Shorten(problems[^1]) : "none")}");
        }
    }

    /// <summary>GET /v1/api/summary through <paramref name="node"/>.</summary>
    public static async Task<JsonElement> SummaryAsync(NodeProcess node)
    {
        ArgumentNullException.ThrowIfNull(node);
        node.ThrowIfExited();
        return await node.Api.GetJsonAsync("/v1/api/summary");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.Concat(_retired))
        {
            var problems = node.Problems();
            _output.WriteLine($"--- {node.NodeId}: {(node.HasExited ? $"exited with {node.ExitCode}{(node.ExitExpected ? " (ended by the test)" : " BY ITSELF")}" : "running")}; " +
                $"{problems.Count} warnings/errors logged{(problems.Count > 12 ? ", the last 12" : string.Empty)}:");
            foreach (var line in problems.TakeLast(12))
            {
                _output.WriteLine("    " + NodeProcess.Shorten(line));
            }

            // What the node said last, information included (its room copies reloading, nodes taken for dead): shown
            // only when a test fails.
            _output.WriteLine($"    last lines of {node.NodeId}:");
            foreach (var line in node.LogTail(25))
            {
                _output.WriteLine("      " + NodeProcess.Shorten(line));
            }
        }

        await Task.WhenAll(_nodes.Concat(_retired).Select(n => n.DisposeAsync().AsTask()));
        await Redis.DisposeAsync();
    }

    private Task<NodeProcess> LaunchAsync(string nodeId, string redisAddress = "127.0.0.1", string listenAddress = "127.0.0.1", string? networkNamespace = null) =>
        NodeProcess.StartAsync(nodeId, Settings(redisAddress), listenAddress, networkNamespace);
}
