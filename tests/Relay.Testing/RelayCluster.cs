using System.Globalization;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>
/// Relay nodes sharing rooms through one Redis under a key prefix of their own, so that many clusters can use
/// the same redis-server without seeing each other. Each node is a full <see cref="RelayServer"/> on its own port.
/// </summary>
public sealed class RelayCluster : IAsyncDisposable
{
    /// <summary>The heartbeat interval the test clusters use (seconds): a silent node is taken for dead within two.</summary>
    public const double HeartbeatSeconds = 1.0;

    private readonly List<RelayServer> _nodes;

    private RelayCluster(RedisServer redis, string keyPrefix, List<RelayServer> nodes)
    {
        Redis = redis;
        KeyPrefix = keyPrefix;
        _nodes = nodes;
    }

    public RedisServer Redis { get; }

    public string KeyPrefix { get; }

    public IReadOnlyList<RelayServer> Nodes => _nodes;

    /// <summary>A key prefix no other cluster uses.</summary>
    public static string NewKeyPrefix() => $"relay-test-{Guid.NewGuid():N}";

    /// <summary>The settings of one node of a Redis cluster, on top of which <paramref name="extra"/> are added.</summary>
    public static (string Key, string Value)[] NodeSettings(RedisServer redis, string keyPrefix, params (string Key, string Value)[] extra)
    {
        ArgumentNullException.ThrowIfNull(redis);
        return
        [
            ("Relay:Backplane", "Redis"),
            ("Relay:Redis:ConnectionString", redis.ConnectionString),
            ("Relay:Redis:KeyPrefix", keyPrefix),
            ("Relay:Redis:HeartbeatSeconds", HeartbeatSeconds.ToString(CultureInfo.InvariantCulture)),
            .. extra,
        ];
    }

    /// <summary>Starts <paramref name="nodes"/> nodes on <paramref name="redis"/> (the shared server when null) under a fresh prefix.</summary>
    public static async Task<RelayCluster> StartAsync(int nodes, RedisServer? redis = null, params (string Key, string Value)[] extra)
    {
        redis ??= await RedisServer.SharedAsync();
        var prefix = NewKeyPrefix();
        var started = new List<RelayServer>();
        try
        {
            for (var i = 0; i < nodes; i++)
            {
                started.Add(await RelayServer.StartAsync(NodeSettings(redis, prefix, [("Relay:Redis:NodeId", $"node-{i}"), .. extra])));
            }
        }
        catch
        {
            foreach (var node in started)
            {
                await node.DisposeAsync();
            }

            throw;
        }

        return new RelayCluster(redis, prefix, started);
    }

    public async ValueTask DisposeAsync()
    {
        // In parallel: each node's graceful shutdown waits for its own clients only.
        await Task.WhenAll(_nodes.Select(node => node.DisposeAsync().AsTask()));
    }
}
