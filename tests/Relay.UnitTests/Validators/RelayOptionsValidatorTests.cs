using Relay.Application.Common.Options;

namespace Relay.UnitTests.Validators;

public sealed class RelayOptionsValidatorTests
{
    private readonly RelayOptionsValidator _validator = new();

    private string[] FailingProperties(RelayOptions options) =>
        [.. _validator.Validate(options).Errors.Select(e => e.PropertyName)];

    [Fact]
    public void Defaults_are_valid()
    {
        Assert.Empty(FailingProperties(new RelayOptions()));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1023, false)]
    [InlineData(1024, true)]
    [InlineData(16 * 1024 * 1024, true)]
    [InlineData(16 * 1024 * 1024 + 1, false)]
    public void Max_message_bytes(int value, bool valid)
    {
        Assert.Equal(valid, _validator.Validate(new RelayOptions { MaxMessageBytes = value }).IsValid);
    }

    [Fact]
    public void Default_max_clients_cannot_exceed_the_cap()
    {
        Assert.Contains("DefaultMaxClients", FailingProperties(new RelayOptions { MaxClientsCap = 10, DefaultMaxClients = 11 }));
        Assert.Empty(FailingProperties(new RelayOptions { MaxClientsCap = 10, DefaultMaxClients = 10 }));
        Assert.Contains("DefaultMaxClients", FailingProperties(new RelayOptions { DefaultMaxClients = 0 }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100_001)]
    public void Max_clients_cap_is_bounded(int cap)
    {
        Assert.Contains("MaxClientsCap", FailingProperties(new RelayOptions { MaxClientsCap = cap, DefaultMaxClients = 1 }));
    }

    [Theory]
    [InlineData("InMemory", true)]
    [InlineData("Redis", true)]
    [InlineData("Foo", false)]
    [InlineData("inmemory", false)]
    [InlineData("", false)]
    public void Backplane_is_a_known_name(string backplane, bool valid)
    {
        Assert.Equal(valid, _validator.Validate(new RelayOptions { Backplane = backplane }).IsValid);
    }

    [Fact]
    public void Redis_backplane_needs_a_connection_string()
    {
        var options = new RelayOptions { Backplane = "Redis" };
        options.Redis.ConnectionString = string.Empty;

        Assert.Contains("Redis:ConnectionString", FailingProperties(options));
        Assert.DoesNotContain("Redis:ConnectionString", FailingProperties(new RelayOptions { Backplane = "Redis" }));
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
        var options = new RelayOptions { Backplane = "Redis" };
        options.Redis.KeyPrefix = prefix;
        options.Redis.HeartbeatSeconds = heartbeat;
        options.Redis.NodeId = nodeId;

        Assert.Equal(valid, _validator.Validate(options).IsValid);
    }

    [Fact]
    public void Api_keys_need_at_least_16_characters()
    {
        Assert.True(_validator.Validate(new RelayOptions { ApiKeys = [new string('k', 16)] }).IsValid);
        Assert.Equal(["ApiKeys[1]"], FailingProperties(new RelayOptions { ApiKeys = [new string('k', 16), new string('k', 15)] }));
        Assert.False(_validator.Validate(new RelayOptions { ApiKeys = [string.Empty] }).IsValid);
    }

    [Theory]
    [InlineData("https://example.com", true)]
    [InlineData("https://Example.com/", true)]
    [InlineData("http://localhost:3000", true)]
    [InlineData("capacitor://localhost", true)]
    [InlineData("", false)]
    [InlineData("example.com", false)]
    [InlineData("https://example.com/app", false)]
    [InlineData("https://example.com?x=1", false)]
    [InlineData("https://user@example.com", false)]
    [InlineData("null", false)]
    public void Allowed_origins_must_be_origins(string origin, bool valid) =>
        Assert.Equal(valid, _validator.Validate(new RelayOptions { AllowedOrigins = [origin] }).IsValid);

    [Theory]
    [InlineData(0, true)]
    [InlineData(604_800, true)]
    [InlineData(-1, false)]
    [InlineData(604_801, false)]
    public void Empty_room_ttl(int seconds, bool valid)
    {
        Assert.Equal(valid, _validator.Validate(new RelayOptions { EmptyRoomTtlSeconds = seconds }).IsValid);
    }

    [Fact]
    public void Other_ranges_are_checked()
    {
        Assert.Contains("ConnectTimeoutSeconds", FailingProperties(new RelayOptions { ConnectTimeoutSeconds = 0 }));
        Assert.Contains("KeepAliveSeconds", FailingProperties(new RelayOptions { KeepAliveSeconds = -1 }));
        Assert.Contains("MaxJsonDepth", FailingProperties(new RelayOptions { MaxJsonDepth = 1 }));

        var options = new RelayOptions();
        options.RateLimit.MessagesPerSecond = 0;
        options.RateLimit.Burst = 0;
        options.SendQueue.MaxMessages = 0;
        options.SendQueue.MaxBytes = 1023;
        Assert.Equal(
            ["RateLimit:Burst", "RateLimit:MessagesPerSecond", "SendQueue:MaxBytes", "SendQueue:MaxMessages"],
            FailingProperties(options).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Options_validation_messages_name_the_configuration_key()
    {
        var validation = new RelayOptionsValidation(_validator);
        var options = new RelayOptions { MaxMessageBytes = 0, ApiKeys = ["short"] };
        options.RateLimit.Burst = 0;

        var result = validation.Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToArray();
        Assert.Contains(failures, f => f.StartsWith("Relay:MaxMessageBytes: ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Relay:ApiKeys:0: ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Relay:RateLimit:Burst: ", StringComparison.Ordinal));
        Assert.True(validation.Validate(null, new RelayOptions()).Succeeded);
    }

    [Theory]
    [InlineData(-1, 512, 1048576, 1.5, "Resume:WindowSeconds")]
    [InlineData(3601, 512, 1048576, 1.5, "Resume:WindowSeconds")]
    [InlineData(30, 0, 1048576, 1.5, "Resume:HistoryMessages")]
    [InlineData(30, 512, 0, 1.5, "Resume:HistoryBytes")]
    [InlineData(30, 512, 1048576, 0, "Redis:TimeoutSeconds")]
    [InlineData(30, 512, 1048576, -1, "Redis:TimeoutSeconds")]
    public void Resume_and_redis_budget_values_out_of_range_are_refused(int window, int messages, long bytes, double timeout, string key)
    {
        var options = new RelayOptions();
        options.Resume.WindowSeconds = window;
        options.Resume.HistoryMessages = messages;
        options.Resume.HistoryBytes = bytes;
        options.Redis.TimeoutSeconds = timeout;

        Assert.Equal([key], FailingProperties(options));
    }
}
