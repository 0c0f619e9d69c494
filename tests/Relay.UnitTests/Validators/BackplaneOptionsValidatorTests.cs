using Relay.Application.Common.Options;
using Relay.Infrastructure.Backplanes;
using Relay.Infrastructure.Backplanes.Redis;

namespace Relay.UnitTests.Validators;

/// <summary>The infrastructure's `Relay:Backplane` and `Relay:Redis:*` rules.</summary>
public sealed class BackplaneOptionsValidatorTests
{
    private readonly BackplaneOptionsValidator _backplane = new();

    private static string[] FailingProperties(RedisOptions options, bool clustered = true) =>
        [.. new RedisOptionsValidator(clustered).Validate(options).Errors.Select(e => e.PropertyName)];

    [Fact]
    public void Defaults_are_valid()
    {
        Assert.True(_backplane.Validate(new BackplaneOptions()).IsValid);
        Assert.Empty(FailingProperties(new RedisOptions()));
        Assert.Empty(FailingProperties(new RedisOptions(), clustered: false));
    }

    [Theory]
    [InlineData("InMemory", true)]
    [InlineData("Redis", true)]
    [InlineData("Foo", false)]
    [InlineData("inmemory", false)]
    [InlineData("", false)]
    public void Backplane_is_a_known_name(string backplane, bool valid)
    {
        Assert.Equal(valid, _backplane.Validate(new BackplaneOptions { Backplane = backplane }).IsValid);
    }

    [Fact]
    public void Redis_backplane_needs_a_connection_string()
    {
        var options = new RedisOptions { ConnectionString = string.Empty };

        Assert.Contains("ConnectionString", FailingProperties(options));
        Assert.DoesNotContain("ConnectionString", FailingProperties(options, clustered: false));
        Assert.DoesNotContain("ConnectionString", FailingProperties(new RedisOptions()));
    }

    [Theory]
    [InlineData("relay", 2, null, true)]
    [InlineData("", 2, null, false)]
    [InlineData("has space", 2, null, false)]
    [InlineData("relay", 0, null, false)]
    [InlineData("relay", 0.5, "node-a", true)]
    [InlineData("relay", 2, "no/slash", false)]
    public void Redis_prefix_heartbeat_and_node_id_are_checked(string prefix, double heartbeat, string? nodeId, bool valid)
    {
        var options = new RedisOptions { KeyPrefix = prefix, HeartbeatSeconds = heartbeat, NodeId = nodeId };

        Assert.Equal(valid, FailingProperties(options).Length == 0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(61)]
    public void Redis_budget_out_of_range_is_refused(double timeout)
    {
        Assert.Equal(["TimeoutSeconds"], FailingProperties(new RedisOptions { TimeoutSeconds = timeout }));
    }

    [Fact]
    public void Messages_name_the_full_key()
    {
        var redis = new OptionsValidation<RedisOptions>(new RedisOptionsValidator(clustered: true), RedisOptions.SectionName)
            .Validate(null, new RedisOptions { KeyPrefix = "has space", ConnectionString = string.Empty });
        var backplane = new OptionsValidation<BackplaneOptions>(_backplane, BackplaneOptions.SectionName)
            .Validate(null, new BackplaneOptions { Backplane = "Postgres" });

        Assert.Contains(redis.Failures!, f => f.StartsWith("Relay:Redis:KeyPrefix: ", StringComparison.Ordinal));
        Assert.Contains(redis.Failures!, f => f.StartsWith("Relay:Redis:ConnectionString: ", StringComparison.Ordinal));
        Assert.Equal(["Relay:Backplane: must be InMemory or Redis"], backplane.Failures);
    }
}
