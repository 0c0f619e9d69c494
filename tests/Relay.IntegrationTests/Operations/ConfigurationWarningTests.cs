using System.Text.RegularExpressions;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Operations;

/// <summary>
/// A `Relay:*` key that no setting reads has no effect: the real server warns at start-up, naming the key, where it
/// came from and the nearest known key, whichever source it is in (appsettings.json, environment, command line).
/// </summary>
[Trait("Scope", "node")]
public sealed partial class ConfigurationWarningTests
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

    /// <summary>
    /// Every key the configuration tables document (docs/operations.md and the README) and every key the shipped
    /// deployment files set (compose.yaml, the systemd unit), all set at once, each to a valid value: none is
    /// reported as unknown or ignored, and the server starts with them.
    /// </summary>
    [Fact]
    public async Task Every_documented_and_shipped_key_is_known()
    {
        var documented = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var table in new[] { Repository.Read("docs", "operations.md"), Repository.Read("README.md") })
        {
            foreach (Match row in DocumentedKey().Matches(table))
            {
                documented.TryAdd(row.Groups["key"].Value, row.Groups["default"].Value);
            }
        }

        var shipped = DeployedKey().Matches(Repository.Read("compose.yaml") + Repository.Read("deploy", "systemd", "relay.service"))
            .Select(m => m.Groups["key"].Value.Replace("__", ":", StringComparison.Ordinal))
            .Select(key => Regex.Replace(key, ":[0-9]+$", string.Empty))
            .ToHashSet(StringComparer.Ordinal);
        Assert.True(documented.Count >= 20, $"only {documented.Count} documented keys found");
        Assert.All(shipped, key => Assert.True(documented.ContainsKey(key), $"{key} is set by a deployment file but not documented"));

        // A value for each: its documented default where it has one, else one the key accepts.
        var lists = new Dictionary<string, string>
        {
            ["Relay:ApiKeys"] = "a-documented-key-0123456789",
            ["Relay:AllowedOrigins"] = "https://game.example.com",
        };
        var arguments = documented.Select(pair => lists.TryGetValue(pair.Key, out var item)
            ? $"--{pair.Key}:0={item}"
            : $"--{pair.Key}={(pair.Value.Length > 0 ? pair.Value : "node-a")}").ToList();
        await using var server = ServerProcess.Start(arguments);

        await server.WaitUntilListeningAsync();

        Assert.Equal(0, server.CountOutputLines("Unknown setting"));
        Assert.Equal(0, server.CountOutputLines("is ignored"));
    }

    /// <summary>A row of a configuration table: `| `Relay:Key` ... | `default` or words | ...`.</summary>
    [GeneratedRegex(@"^\| `(?<key>Relay(?::[A-Za-z]+)+)`[^|]*\| (?:`(?<default>[^`]*)`|[^|]*) \|", RegexOptions.Multiline)]
    private static partial Regex DocumentedKey();

    /// <summary>An environment variable setting a key (`Relay__Redis__NodeId: ...`, `Relay__ApiKeys__0=...`).</summary>
    [GeneratedRegex(@"\b(?<key>Relay(?:__[A-Za-z0-9]+)+)\s*[:=]")]
    private static partial Regex DeployedKey();
}
