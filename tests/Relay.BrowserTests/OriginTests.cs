using Relay.BrowserTests.Infrastructure;

namespace Relay.BrowserTests;

/// <summary>
/// `Relay:AllowedOrigins` in a real browser, against <see cref="BrowserFixture.Keyed"/>, which lists another site
/// only: the server's own pages connect, a DNS rebinding page does not.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class OriginTests(BrowserFixture fixture)
{
    /// <summary>Opens a WebSocket to the page's own server: `open`, or `refused` when the upgrade fails.</summary>
    private const string OpenSocket = """
        () => new Promise((resolve) => {
          const socket = new WebSocket(location.origin.replace(/^http/, 'ws') + '/v1/websocket');
          socket.onopen = () => { socket.close(); resolve('open'); };
          socket.onerror = () => resolve('refused');
        })
        """;

    [Fact]
    public Task The_servers_own_pages_connect_and_a_DNS_rebinding_page_is_refused() => fixture.RunAsync(async session =>
    {
        var own = await session.NewPageAsync();
        await own.GotoAsync(fixture.Keyed.Origin + "/");
        Assert.Equal("open", await own.EvaluateAsync<string>(OpenSocket));

        // The same server under the attacker's name: the page's origin and the Host header both name it.
        var rebound = await session.NewPageAsync();
        await rebound.GotoAsync($"http://{BrowserFixture.RebindingHost}:{fixture.Keyed.BaseAddress.Port}/");
        Assert.Equal($"http://{BrowserFixture.RebindingHost}:{fixture.Keyed.BaseAddress.Port}", await rebound.EvaluateAsync<string>("() => location.origin"));
        Assert.Equal("refused", await rebound.EvaluateAsync<string>(OpenSocket));
    });
}
