using System.Net;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Operations;

/// <summary>Load balancers probe with `HEAD`: the health endpoints answer it with their status and no body.</summary>
[Trait("Scope", "node")]
public sealed class HealthProbeTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task Head_on_a_health_endpoint_answers_200_without_a_body(string path)
    {
        using var response = await fixture.Server.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Head_on_readyz_answers_503_without_a_body_while_the_node_cannot_reach_redis()
    {
        // A port nobody listens on: the node starts, but without its backplane it is not ready.
        var port = ProcessWatchdog.FreePort();
        await using var server = await RelayServer.StartAsync(
            ("Relay:Backplane", "Redis"),
            ("Relay:Redis:ConnectionString", $"127.0.0.1:{port},connectTimeout=500"));

        await Eventually.HoldsAsync(
            async () =>
            {
                using var head = await server.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/readyz"));
                var body = await head.Content.ReadAsByteArrayAsync();
                return (head.StatusCode == HttpStatusCode.ServiceUnavailable && body.Length == 0, $"{(int)head.StatusCode} with {body.Length} body bytes");
            },
            TimeSpan.FromSeconds(30),
            "HEAD /readyz answers 503 without a body");
        using var get = await server.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, get.StatusCode);
        Assert.Contains("backplane unavailable", await get.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
