using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Conformance;

/// <summary>
/// `Relay:AllowedOrigins`: with a list, a browser page may open a WebSocket only from a listed origin or from one
/// of the server's own origins (the addresses it listens on, and their loopback aliases). Scheme, host and port
/// must match (host case-insensitively, a trailing `/` ignored). The `Host` header plays no part: a DNS
/// rebinding page (`Host` and `Origin` both naming the attacker's host) is refused.
/// </summary>
public sealed class OriginTests : IAsyncLifetime
{
    private RelayServer _listed = null!;
    private RelayServer _open = null!;

    public async Task InitializeAsync()
    {
        _listed = await RelayServer.StartAsync(
            ("Relay:AllowedOrigins:0", "https://Game.Example/"),
            ("Relay:AllowedOrigins:1", "http://localhost:3000"));
        _open = await RelayServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _listed.DisposeAsync();
        await _open.DisposeAsync();
    }

    public static TheoryData<string, int> ListedOrigins => new()
    {
        { "https://game.example", 101 },
        { "https://GAME.example/", 101 },
        { "https://game.example:443", 101 },
        { "http://localhost:3000", 101 },
        { "http://game.example", 403 },
        { "https://game.example:8443", 403 },
        { "wss://game.example", 403 },
        { "https://game.example.evil.example", 403 },
        { "https://evil.example", 403 },
        { "http://localhost:3001", 403 },
        { "https://game.example/path", 403 },
        { "null", 403 },
        { "", 101 },
    };

    [Theory]
    [MemberData(nameof(ListedOrigins))]
    public async Task Listed_origins_match_on_scheme_host_and_port(string origin, int status)
    {
        await using var socket = await RawWebSocket.ConnectAsync(_listed.BaseAddress, extraHeaders: ("Origin", origin));

        Assert.Equal(status, socket.StatusCode);
    }

    [Fact]
    public async Task A_request_without_Origin_is_not_from_a_browser_and_is_allowed()
    {
        await using var socket = await RawWebSocket.ConnectAsync(_listed.BaseAddress);

        Assert.Equal(101, socket.StatusCode);
    }

    [Fact]
    public async Task A_DNS_rebinding_page_naming_its_own_host_in_Host_and_Origin_is_refused() =>
        Assert.Equal(403, await RebindingPageStatusAsync(_listed));

    [Theory]
    [InlineData("http://127.0.0.1:{port}", 101)]
    [InlineData("http://localhost:{port}", 101)]
    [InlineData("http://LocalHost:{port}/", 101)]
    [InlineData("http://[::1]:{port}", 101)]
    [InlineData("https://127.0.0.1:{port}", 403)]
    [InlineData("https://localhost:{port}", 403)]
    [InlineData("http://127.0.0.1:1", 403)]
    [InlineData("http://127.0.0.2:{port}", 403)]
    public async Task The_servers_own_origins_come_from_where_it_listens_whatever_the_Host_header_says(string origin, int status)
    {
        var port = _listed.BaseAddress.Port;
        origin = origin.Replace("{port}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        await using var direct = await RawWebSocket.ConnectAsync(_listed.BaseAddress, extraHeaders: ("Origin", origin));
        await using var otherHost = await RawWebSocket.ConnectAsync(
            _listed.BaseAddress,
            extraHeaders: [("Host", $"relay.example:{port}"), ("Origin", origin)]);

        Assert.Equal(status, direct.StatusCode);
        Assert.Equal(status, otherHost.StatusCode);
    }

    [Fact]
    public async Task Without_a_list_every_origin_is_allowed() =>
        Assert.Equal(101, await RebindingPageStatusAsync(_open));

    /// <summary>The handshake status for a page of `evil.example`, a name that resolves to the server: it is in both `Host` and `Origin`.</summary>
    private static async Task<int> RebindingPageStatusAsync(RelayServer server)
    {
        var port = server.BaseAddress.Port;
        await using var socket = await RawWebSocket.ConnectAsync(
            server.BaseAddress,
            extraHeaders: [("Host", $"evil.example:{port}"), ("Origin", $"http://evil.example:{port}")]);
        return socket.StatusCode;
    }
}
