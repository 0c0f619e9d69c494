using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Operations;

/// <summary>
/// A `Relay:*` key that no setting reads has no effect: the real server warns at start-up, naming the key, where it
/// came from and the nearest known key, whichever source it is in (appsettings.json, environment, command line).
/// </summary>
[Trait("Scope", "node")]
public sealed class ConfigurationWarningTests
{
    [Fact]
    public async Task Unknown_keys_from_every_source_are_named_with_their_nearest_known_key_and_the_server_still_starts()
    {
        await using var server = ServerProcess.Start(
            ["--Relay:AllowAnonymousApi=true", "--Relay:MaxMesageBytes=2048", "--Relay:MaxRooms=100"],
            new Dictionary<string, string>
            {
                ["Relay__RateLimt__Burst"] = "50",
                ["Relay__SendQueue__MaxMessages"] = "512",
                ["Relay__ApiKey__0"] = "an-api-key-of-some-length",
            },
            appsettings: """{"Relay": {"KeepAliveSecond": 5, "ConnectTimeoutSeconds": 20, "AllowedOrigins": [], "Redis": {"KeyPrefx": "x"}}}""");

        await server.WaitUntilListeningAsync();

        var output = server.Output;
        Assert.Contains("Unknown setting Relay:MaxMesageBytes (command line) is ignored; the nearest known key is Relay:MaxMessageBytes", output, StringComparison.Ordinal);
        Assert.Contains("Unknown setting Relay:RateLimt (environment variable Relay__RateLimt__Burst) is ignored; the nearest known key is Relay:RateLimit", output, StringComparison.Ordinal);
        Assert.Contains("Unknown setting Relay:ApiKey (environment variable Relay__ApiKey__0) is ignored; the nearest known key is Relay:ApiKeys", output, StringComparison.Ordinal);
        Assert.Contains("Unknown setting Relay:KeepAliveSecond (appsettings.json) is ignored; the nearest known key is Relay:KeepAliveSeconds", output, StringComparison.Ordinal);
        Assert.Contains("Unknown setting Relay:Redis:KeyPrefx (appsettings.json) is ignored; the nearest known key is Relay:Redis:KeyPrefix", output, StringComparison.Ordinal);
        // Known keys, set in the same sources, are not warned about.
        Assert.Equal(5, server.CountOutputLines("Unknown setting"));
    }

    [Fact]
    public async Task A_value_given_to_a_list_key_itself_is_named_with_the_indexed_form()
    {
        await using var server = ServerProcess.Start(
            ["--Relay:AllowAnonymousApi=true"],
            new Dictionary<string, string> { ["Relay__AllowedOrigins"] = "https://game.example.com" });

        await server.WaitUntilListeningAsync();

        Assert.Contains(
            "Setting Relay:AllowedOrigins (environment variable Relay__AllowedOrigins) is a list: its value is ignored; give each item its index, e.g. Relay:AllowedOrigins:0",
            server.Output,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_without_unknown_keys_warns_about_none_and_logs_its_version_at_start_up()
    {
        await using var server = ServerProcess.Start(["--Relay:AllowAnonymousApi=true", "--Relay:MaxMessageBytes=2048"]);

        await server.WaitUntilListeningAsync();

        Assert.Equal(0, server.CountOutputLines("Unknown setting"));
        Assert.Equal(0, server.CountOutputLines("is ignored"));
        Assert.Contains($"Relay {VersionTests.ServerVersion} starting (environment Production, backplane InMemory)", server.Output, StringComparison.Ordinal);
    }
}
