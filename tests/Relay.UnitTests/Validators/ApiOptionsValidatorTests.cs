using System.IO.Compression;
using Relay.Api.Configuration;
using Relay.Application.Common.Options;

namespace Relay.UnitTests.Validators;

/// <summary>The API's `Relay:*` rules: API keys, origins, connection limits and timers.</summary>
public sealed class ApiOptionsValidatorTests
{
    private readonly ApiOptionsValidator _validator = new();

    private string[] FailingProperties(ApiOptions options) =>
        [.. _validator.Validate(options).Errors.Select(e => e.PropertyName)];

    [Fact]
    public void Defaults_are_valid()
    {
        Assert.Empty(FailingProperties(new ApiOptions()));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1023, false)]
    [InlineData(1024, true)]
    [InlineData(16 * 1024 * 1024, true)]
    [InlineData(16 * 1024 * 1024 + 1, false)]
    public void Max_message_bytes(int value, bool valid)
    {
        Assert.Equal(valid, _validator.Validate(new ApiOptions { MaxMessageBytes = value }).IsValid);
    }

    [Fact]
    public void Api_keys_need_at_least_16_characters()
    {
        Assert.True(_validator.Validate(new ApiOptions { ApiKeys = [new string('k', 16)] }).IsValid);
        Assert.Equal(["ApiKeys[1]"], FailingProperties(new ApiOptions { ApiKeys = [new string('k', 16), new string('k', 15)] }));
        Assert.False(_validator.Validate(new ApiOptions { ApiKeys = [string.Empty] }).IsValid);
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
        Assert.Equal(valid, _validator.Validate(new ApiOptions { AllowedOrigins = [origin] }).IsValid);

    [Fact]
    public void Other_ranges_are_checked()
    {
        Assert.Contains("ConnectTimeoutSeconds", FailingProperties(new ApiOptions { ConnectTimeoutSeconds = 0 }));
        Assert.Contains("KeepAliveSeconds", FailingProperties(new ApiOptions { KeepAliveSeconds = -1 }));
        Assert.Contains("MaxConnections", FailingProperties(new ApiOptions { MaxConnections = 0 }));

        var options = new ApiOptions();
        options.SendQueue.MaxMessages = 0;
        options.SendQueue.MaxBytes = 1023;
        Assert.Equal(["SendQueue:MaxBytes", "SendQueue:MaxMessages"], FailingProperties(options).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(-1, CompressionLevel.Fastest, "Compression:MinBytes")]
    [InlineData(16 * 1024 * 1024 + 1, CompressionLevel.Fastest, "Compression:MinBytes")]
    [InlineData(256, CompressionLevel.NoCompression, "Compression:Level")]
    [InlineData(256, (CompressionLevel)42, "Compression:Level")]
    public void Compression_settings_are_checked(int minBytes, CompressionLevel level, string failing)
    {
        var options = new ApiOptions();
        options.Compression.MinBytes = minBytes;
        options.Compression.Level = level;

        Assert.Equal([failing], FailingProperties(options));
    }

    [Theory]
    [InlineData(0, CompressionLevel.Fastest)]
    [InlineData(16 * 1024 * 1024, CompressionLevel.Optimal)]
    [InlineData(256, CompressionLevel.SmallestSize)]
    public void Compression_settings_in_range_are_valid(int minBytes, CompressionLevel level)
    {
        var options = new ApiOptions();
        options.Compression.Enabled = true;
        options.Compression.MinBytes = minBytes;
        options.Compression.Level = level;

        Assert.Empty(FailingProperties(options));
    }

    [Fact]
    public void Options_validation_messages_name_the_configuration_key()
    {
        var validation = new OptionsValidation<ApiOptions>(_validator, ApiOptions.SectionName);
        var options = new ApiOptions { MaxMessageBytes = 0, ApiKeys = ["short"] };
        options.SendQueue.MaxBytes = 0;

        var result = validation.Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToArray();
        Assert.Contains(failures, f => f.StartsWith("Relay:MaxMessageBytes: ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Relay:ApiKeys:0: ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Relay:SendQueue:MaxBytes: ", StringComparison.Ordinal));
        Assert.True(validation.Validate(null, new ApiOptions()).Succeeded);
    }
}
