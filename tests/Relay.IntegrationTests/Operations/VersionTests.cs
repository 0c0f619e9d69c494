using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Operations;

/// <summary>The server's version, from the build's one `&lt;Version&gt;`, in `/metrics` and `/healthz`.</summary>
[Trait("Scope", "node")]
public sealed class VersionTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    /// <summary>What the server assembly was stamped with.</summary>
    public static string ServerVersion =>
        typeof(Relay.Api.RelayServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

    [Fact]
    public void The_server_version_is_the_version_of_Directory_Build_props()
    {
        // The informational version adds the commit: 1.2.3+abc... (or 1.2.3-dev+abc...).
        Assert.Matches($"^{Regex.Escape(Repository.Version)}(\\+[0-9a-f]+)?$", ServerVersion);
    }

    [Fact]
    public async Task Metrics_carry_relay_build_info_with_the_version()
    {
        using var response = await fixture.Server.Http.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"relay_build_info{{version=\"{ServerVersion}\"}} 1", text.Split('\n'));
    }

    [Fact]
    public async Task Healthz_shows_the_version()
    {
        var health = await fixture.Server.Api.GetJsonAsync("/healthz");

        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(ServerVersion, health.GetProperty("version").GetString());
    }
}
