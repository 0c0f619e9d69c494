using System.Net.WebSockets;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Operations;

/// <summary>No answer names the server software (`Server: Kestrel`): not REST, not static files, not the WebSocket upgrade.</summary>
[Trait("Scope", "node")]
public sealed class ServerHeaderTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    [Theory]
    [InlineData("/healthz")]
    [InlineData("/metrics")]
    [InlineData("/")]
    [InlineData("/v1/api/rooms")]
    [InlineData("/no/such/path")]
    [InlineData("/v1/websocket")]
    public async Task Http_answers_carry_no_server_header(string path)
    {
        using var response = await fixture.Server.Http.GetAsync(path);

        Assert.False(response.Headers.Contains("Server"), $"GET {path} ({(int)response.StatusCode}) sent Server: {string.Join(",", response.Headers.Server)}");
    }

    [Fact]
    public async Task The_websocket_upgrade_carries_no_server_header()
    {
        await using var client = await TestClient.ConnectAsync(fixture.Server.WebSocketUri, o => o.CollectHttpResponseDetails = true);

        Assert.Equal(WebSocketState.Open, client.Socket.State);
        Assert.NotNull(client.Socket.HttpResponseHeaders);
        Assert.False(client.Socket.HttpResponseHeaders!.ContainsKey("Server"), "the 101 answer sent a Server header");
    }
}
