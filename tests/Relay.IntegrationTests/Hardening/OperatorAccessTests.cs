using System.Net;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Hardening;

public sealed class OperatorAccessTests
{
    private const string Key = "operator-test-key-0123456789";

    [Fact]
    public async Task With_API_keys_health_readiness_and_metrics_stay_open_while_REST_needs_a_key()
    {
        await using var server = await RelayServer.StartAsync(("Relay:ApiKeys:0", Key));

        foreach (var path in new[] { "/healthz", "/readyz", "/metrics", "/swagger/v1/swagger.json" })
        {
            using var open = await server.Http.GetAsync(path);
            Assert.True(open.StatusCode == HttpStatusCode.OK, $"{path}: {(int)open.StatusCode}");
        }

        using var refused = await server.Http.GetAsync("/v1/api/summary");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Swagger_offers_the_API_key_through_its_Authorize_button()
    {
        await using var server = await RelayServer.StartAsync(("Relay:ApiKeys:0", Key));

        var document = await server.Api.GetJsonAsync("/swagger/v1/swagger.json");
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal("apiKey", scheme.GetProperty("type").GetString());
        Assert.Equal("header", scheme.GetProperty("in").GetString());
        Assert.Equal("X-Api-Key", scheme.GetProperty("name").GetString());
        // Required by the REST operations (the padlock), not by the document as a whole (health stays open).
        Assert.True(document.GetProperty("paths").GetProperty("/v1/api/summary").GetProperty("get").GetProperty("security").GetArrayLength() > 0);
        Assert.False(document.TryGetProperty("security", out _));
    }
}
