using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Operations;

/// <summary>
/// A configuration the server cannot start with ends the real process with one message per problem, each naming
/// its key, and exit code 78 (docs/operations.md): no `Unhandled exception`, no stack trace, no abort (134).
/// </summary>
[Trait("Scope", "node")]
public sealed class StartupFailureTests
{
    private const int ConfigurationExitCode = 78;

    [Fact]
    public async Task Bad_values_and_missing_api_keys_are_listed_together_and_the_process_exits_78()
    {
        await using var server = ServerProcess.Start(["--Relay:MaxMessageBytes=abc", "--Relay:KeepAliveSeconds=-3"]);

        var exitCode = await server.WaitForExitAsync();

        Assert.True(exitCode == ConfigurationExitCode, $"exit code {exitCode}\nstdout:\n{server.Output}\nstderr:\n{server.Error}");
        Assert.Contains("Relay:MaxMessageBytes: must be a whole number; 'abc' is not", server.Error, StringComparison.Ordinal);
        Assert.Contains("Relay:KeepAliveSeconds:", server.Error, StringComparison.Ordinal);
        Assert.Contains("Relay:ApiKeys: no API keys are configured and the environment is Production", server.Error, StringComparison.Ordinal);
        AssertNoCrash(server);
    }

    [Theory]
    [InlineData("--Relay:InlineScheduling=perhaps", "Relay:InlineScheduling: must be true or false")]
    [InlineData("--Relay:ApiKeys:0=short", "Relay:ApiKeys:0: each key must have at least 16 characters")]
    [InlineData("--Relay:Backplane=Postgres", "Relay:Backplane: must be InMemory or Redis")]
    [InlineData("--Relay:Redis:KeyPrefix=has space", "Relay:Redis:KeyPrefix: must be 1-64 letters, digits or _.:-")]
    public async Task One_bad_value_is_one_line_naming_its_key(string argument, string expected)
    {
        await using var server = ServerProcess.Start([argument, "--Relay:AllowAnonymousApi=true"]);

        var exitCode = await server.WaitForExitAsync();

        Assert.True(exitCode == ConfigurationExitCode, $"exit code {exitCode}\nstdout:\n{server.Output}\nstderr:\n{server.Error}");
        Assert.Contains(expected, server.Error, StringComparison.Ordinal);
        AssertNoCrash(server);
    }

    [Fact]
    public async Task A_bad_value_from_an_environment_variable_stops_start_up_the_same_way()
    {
        await using var server = ServerProcess.Start(
            ["--Relay:AllowAnonymousApi=true"],
            new Dictionary<string, string> { ["Relay__RateLimit__Burst"] = "0" });

        var exitCode = await server.WaitForExitAsync();

        Assert.True(exitCode == ConfigurationExitCode, $"exit code {exitCode}\nstdout:\n{server.Output}\nstderr:\n{server.Error}");
        Assert.Contains("Relay:RateLimit:Burst:", server.Error, StringComparison.Ordinal);
        AssertNoCrash(server);
    }

    private static void AssertNoCrash(ServerProcess server)
    {
        var all = server.Output + "\n" + server.Error;
        Assert.DoesNotContain("Unhandled exception", all, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", server.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(all.Split('\n'), line => line.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.DoesNotContain("Now listening", server.Output, StringComparison.Ordinal);
    }
}
