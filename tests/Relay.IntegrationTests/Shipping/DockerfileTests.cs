using Relay.Api.Hosting;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Shipping;

/// <summary>
/// The Dockerfile without Docker (this machine cannot pull images): deploy/verify-dockerfile.sh runs its build
/// stage's steps and its runtime command as a container would (non-root, read-only root filesystem, tmpfs /tmp, a
/// network namespace of its own), with the HEALTHCHECK, SIGTERM and a trace of every file write.
/// </summary>
[Collection(ShippingBuildsCollection.Name)]
public sealed class DockerfileTests
{
    [Fact]
    public async Task Build_steps_publish_and_the_image_command_serves_read_only_as_non_root_and_stops_gracefully_on_sigterm()
    {
        var bash = Tool.Find("bash", "bash");
        var result = await Tool.RunAsync(bash, [Repository.PathOf("deploy", "verify-dockerfile.sh")], timeout: TimeSpan.FromMinutes(4.5));
        Assert.True(result.ExitCode == 0, result.ToString());
        var output = result.Output;
        foreach (var expected in new[]
        {
            "RUN dotnet restore src/Relay.Api/Relay.Api.csproj",
            "RUN dotnet publish src/Relay.Api/Relay.Api.csproj -c Release",
            "as uid 1654, read-only /, tmpfs /tmp, own network namespace",
            "HEALTHCHECK [\"dotnet\", \"Relay.Api.dll\", \"--healthcheck\"]: healthy after",
            "/readyz 200, POST /v1/api/rooms 201 (401 without the key), relay_ready 1",
            "SIGTERM: graceful shutdown (Shutting down: closed 1 rooms and 0 connections), exit code 0",
            "HEALTHCHECK after the exit: exit code 1 (unhealthy)",
            "writes outside /tmp, /proc and /dev: none",
            "verify-dockerfile: OK",
        })
        {
            Assert.True(output.Contains(expected, StringComparison.Ordinal), $"no '{expected}' in:\n{result}");
        }
    }

    [Theory]
    [InlineData("USER $APP_UID", "USER root", "USER is 'root', expected the base image's non-root $APP_UID")]
    [InlineData("ENTRYPOINT [\"dotnet\", \"Relay.Api.dll\"]", "ENTRYPOINT dotnet Relay.Api.dll", "no ENTRYPOINT in exec form")]
    [InlineData("STOPSIGNAL SIGTERM", "STOPSIGNAL SIGKILL", "STOPSIGNAL is SIGKILL, expected SIGTERM")]
    public async Task A_dockerfile_that_runs_as_root_uses_a_shell_or_skips_the_graceful_stop_fails_before_building(string line, string replacement, string failure)
    {
        using var temp = new TempDirectory("dockerfile");
        var dockerfile = Repository.Read("Dockerfile");
        Assert.Contains(line + "\n", dockerfile, StringComparison.Ordinal);
        var broken = temp.Write("Dockerfile", dockerfile.Replace(line + "\n", replacement + "\n", StringComparison.Ordinal));

        var result = await Tool.RunAsync(Tool.Find("bash", "bash"), [Repository.PathOf("deploy", "verify-dockerfile.sh"), broken]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"FAILED: {failure}", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("RUN dotnet", result.Output, StringComparison.Ordinal);
    }
}

/// <summary>`dotnet Relay.Api.dll --healthcheck [url]`, the image's HEALTHCHECK, against the real server.</summary>
public sealed class HealthCheckCommandTests
{
    [Fact]
    public async Task Exits_0_on_a_200_from_healthz_and_1_for_another_status_or_no_server_and_2_for_a_bad_url()
    {
        await using var server = await RelayServer.StartAsync();
        var healthz = new Uri(server.BaseAddress, "/healthz").ToString();

        var output = new StringWriter();
        Assert.Equal(0, await HealthCheckCommand.RunAsync([HealthCheckCommand.Argument, healthz], output));
        Assert.Equal($"{healthz}: 200 OK", output.ToString().Trim());

        Assert.Equal(1, await HealthCheckCommand.RunAsync([HealthCheckCommand.Argument, new Uri(server.BaseAddress, "/nothing-here").ToString()], TextWriter.Null));
        var nobody = $"http://127.0.0.1:{ProcessWatchdog.FreePort()}/healthz";
        Assert.Equal(1, await HealthCheckCommand.RunAsync([HealthCheckCommand.Argument, nobody], TextWriter.Null));
        Assert.Equal(2, await HealthCheckCommand.RunAsync([HealthCheckCommand.Argument, "not a url"], TextWriter.Null));
    }

    [Theory]
    [InlineData(null, null, 5000)]
    [InlineData(null, "8080", 8080)]
    [InlineData(null, "9000;9001", 9000)]
    [InlineData("http://+:8081;https://+:8443", "8080", 8081)]
    [InlineData("https://+:8443;http://[::]:8082", null, 8082)]
    [InlineData("http://localhost", null, 80)]
    [InlineData("https://+:8443", "7000", 7000)]
    public void Asks_the_port_kestrel_listens_on(string? urls, string? httpPorts, int port)
    {
        var environment = new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = urls, ["ASPNETCORE_HTTP_PORTS"] = httpPorts };
        Assert.Equal(new Uri($"http://127.0.0.1:{port}/healthz"), HealthCheckCommand.DefaultTarget(name => environment.GetValueOrDefault(name)));
    }

    [Fact]
    public void Only_the_first_argument_selects_the_health_check()
    {
        Assert.True(HealthCheckCommand.IsRequested(["--healthcheck"]));
        Assert.False(HealthCheckCommand.IsRequested([]));
        Assert.False(HealthCheckCommand.IsRequested(["--urls=http://127.0.0.1:0", "--healthcheck"]));
    }
}
