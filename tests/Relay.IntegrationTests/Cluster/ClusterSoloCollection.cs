namespace Relay.IntegrationTests.Cluster;

/// <summary>
/// The cluster tests that take a node or Redis down run alone, after the parallel tests, so that a busy machine
/// does not make a slow node look dead (their bounded waits are deadlines, not measurements).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterSoloCollection
{
    public const string Name = "Cluster solo";
}
