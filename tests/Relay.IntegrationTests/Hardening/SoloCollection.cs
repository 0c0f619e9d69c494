namespace Relay.IntegrationTests.Hardening;

/// <summary>
/// Tests that measure the whole process (managed memory) or load it heavily run alone, after the parallel
/// tests, so that neither disturbs the other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoloCollection
{
    public const string Name = "Solo";
}
