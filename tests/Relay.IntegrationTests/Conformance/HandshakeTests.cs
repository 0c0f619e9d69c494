using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Conformance;

/// <summary>The opening handshake (RFC 6455 4.2), sent by hand over TCP.</summary>
public sealed class HandshakeTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private Uri Server => fixture.Server.BaseAddress;

    [Fact]
    public async Task A_valid_handshake_upgrades_and_the_connection_speaks_the_protocol()
    {
        await using var socket = await RawWebSocket.ConnectAsync(Server);

        Assert.Equal(101, socket.StatusCode);
        Assert.Equal("websocket", socket.Headers["Upgrade"], ignoreCase: true);
        await socket.SendTextAsync("""{"type":"ping","ref":"raw"}""");
        Assert.Equal("""{"type":"pong","ref":"raw"}""", await socket.ReadTextAsync());
    }

    [Theory]
    [InlineData("8")]
    [InlineData("12")]
    [InlineData("14")]
    public async Task Another_protocol_version_is_answered_426_naming_version_13(string version)
    {
        await using var socket = await RawWebSocket.ConnectAsync(Server, extraHeaders: ("Sec-WebSocket-Version", version));

        Assert.Equal(426, socket.StatusCode);
        Assert.Equal("13", socket.Headers.GetValueOrDefault("Sec-WebSocket-Version"));
    }

    [Theory]
    [InlineData("/v1/websocket/anything")]
    [InlineData("/v1/websocket/")]
    [InlineData("/v1/websocketx")]
    [InlineData("/v1/websocket/v1/websocket")]
    public async Task Only_the_exact_path_upgrades(string target)
    {
        await using var socket = await RawWebSocket.ConnectAsync(Server, target);

        Assert.Equal(404, socket.StatusCode);
    }

    [Fact]
    public async Task A_query_string_does_not_change_the_path()
    {
        await using var socket = await RawWebSocket.ConnectAsync(Server, "/v1/websocket?client=raw");

        Assert.Equal(101, socket.StatusCode);
    }

    [Fact]
    public async Task An_HTTP_1_0_upgrade_is_refused()
    {
        await using var socket = await RawWebSocket.ConnectAsync(Server, httpVersion: "HTTP/1.0");

        Assert.Equal(400, socket.StatusCode);
        Assert.False(socket.Headers.ContainsKey("Sec-WebSocket-Accept"));
    }
}
