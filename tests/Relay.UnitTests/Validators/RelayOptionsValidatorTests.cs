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
        Assert.Contains("MaxJsonDepth", FailingProperties(new RelayOptions { MaxJsonDepth = 1 }));

        var options = new RelayOptions();
        options.RateLimit.MessagesPerSecond = 0;
        options.RateLimit.Burst = 0;
        Assert.Equal(
            ["RateLimit:Burst", "RateLimit:MessagesPerSecond"],
            FailingProperties(options).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Options_validation_messages_name_the_configuration_key()
    {
        var validation = new OptionsValidation<RelayOptions>(_validator, RelayOptions.SectionName);
        var options = new RelayOptions { MaxRooms = 0 };
        options.RateLimit.Burst = 0;
        options.Webhooks.Events.Add("no.such.event");

        var result = validation.Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToArray();
        Assert.Contains(failures, f => f.StartsWith("Relay:MaxRooms: ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Relay:RateLimit:Burst: ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Relay:Webhooks:Events:0: ", StringComparison.Ordinal));
        Assert.True(validation.Validate(null, new RelayOptions()).Succeeded);
    }

    [Theory]
    [InlineData(-1, 512, 1048576, "Resume:WindowSeconds")]
    [InlineData(3601, 512, 1048576, "Resume:WindowSeconds")]
    [InlineData(30, 0, 1048576, "Resume:HistoryMessages")]
    [InlineData(30, 512, 0, "Resume:HistoryBytes")]
    public void Resume_values_out_of_range_are_refused(int window, int messages, long bytes, string key)
    {
        var options = new RelayOptions();
        options.Resume.WindowSeconds = window;
        options.Resume.HistoryMessages = messages;
        options.Resume.HistoryBytes = bytes;

        Assert.Equal([key], FailingProperties(options));
    }
}
