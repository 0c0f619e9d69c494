namespace Relay.IntegrationTests.Infrastructure;

/// <summary>An xunit class fixture: three nodes of one cluster on the shared redis-server.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const int NodeCount = 3;

    public RelayCluster Cluster { get; private set; } = null!;

    public IReadOnlyList<RelayServer> Nodes => Cluster.Nodes;

    public async Task InitializeAsync() =>
        // A generous rate limit: the order tests send a few hundred messages as fast as they can.
        Cluster = await RelayCluster.StartAsync(
            NodeCount,
            redis: null,
            ("Relay:RateLimit:MessagesPerSecond", "100000"),
            ("Relay:RateLimit:Burst", "100000"));

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
