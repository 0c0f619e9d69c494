using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Conformance;

/// <summary>
/// The lean upgrade path (Realtime/Upgrade/LeanUpgrade): plain upgrades of `/v1/websocket` are answered ahead of
/// Kestrel's HTTP layer, everything else goes on to it untouched. Which one answered shows in the 101: Kestrel's HTTP
/// layer adds a `Date` header to every answer, the lean path does not (RFC 9110 6.6.1 makes it optional for 1xx).
/// </summary>
public sealed class LeanUpgradeTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private Uri Server => fixture.Server.BaseAddress;

    private static readonly byte[] PingFrame = RawWebSocket.ClientFrame(RawOpcode.Text, Encoding.UTF8.GetBytes("""{"type":"ping","ref":"lean"}"""));

    private static async Task AssertSpeaksTheProtocolAsync(RawWebSocket socket, bool pingSent = false)
    {
        Assert.Equal(101, socket.StatusCode);
        if (!pingSent)
        {
            await socket.SendRawAsync(PingFrame);
        }

        Assert.Equal("""{"type":"pong","ref":"lean"}""", await socket.ReadTextAsync());
    }

    [Fact]
    public async Task A_plain_upgrade_is_answered_ahead_of_the_HTTP_layer()
    {
        await using var socket = await RawWebSocket.ConnectAsync(Server);

        Assert.False(socket.Headers.ContainsKey("Date"));
        await AssertSpeaksTheProtocolAsync(socket);
    }

    [Fact]
    public async Task With_the_lean_path_off_the_HTTP_layer_answers_the_same_upgrade()
    {
        await using var server = await RelayServer.StartAsync(("Relay:LeanUpgrade", "false"));
        await using var socket = await RawWebSocket.ConnectAsync(server.BaseAddress);

        Assert.True(socket.Headers.ContainsKey("Date"));
        await AssertSpeaksTheProtocolAsync(socket);
    }

    [Fact]
    public async Task A_request_that_arrives_a_byte_at_a_time_is_still_answered_ahead_of_the_HTTP_layer()
    {
        await using var socket = await RawWebSocket.ConnectAsync(Server, new RawHandshake(ChunkBytes: 1));

        Assert.False(socket.Headers.ContainsKey("Date"));
        await AssertSpeaksTheProtocolAsync(socket);
    }

    [Fact]
    public async Task A_frame_sent_right_behind_the_request_is_read_as_the_first_message()
    {
        await using var socket = await RawWebSocket.ConnectAsync(Server, new RawHandshake(After: PingFrame));

        await AssertSpeaksTheProtocolAsync(socket, pingSent: true);
    }

    [Fact]
    public async Task An_upgrade_after_another_request_on_the_same_connection_is_answered_by_the_HTTP_layer()
    {
        var before = $"HEAD /healthz HTTP/1.1\r\nHost: {Server.Authority}\r\n\r\n";
        await using var socket = await RawWebSocket.ConnectAsync(Server, new RawHandshake(Before: before));

        Assert.True(socket.Headers.ContainsKey("Date"));
        await AssertSpeaksTheProtocolAsync(socket);
    }

    [Fact]
    public async Task A_request_head_too_long_for_the_lean_path_is_upgraded_by_the_HTTP_layer()
    {
        await using var socket = await RawWebSocket.ConnectAsync(Server, new RawHandshake(), ("X-Padding", new string('p', 20_000)));

        Assert.True(socket.Headers.ContainsKey("Date"));
        await AssertSpeaksTheProtocolAsync(socket);
    }

    [Fact]
    public async Task A_connection_whose_request_head_never_ends_is_closed_after_the_header_timeout()
    {
        await using var server = await StartWithOneSecondHeadTimeoutAsync();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /v1/websocket HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\n"));

        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[1024];
        int read;
        do
        {
            read = await ReadOrEndAsync(stream, buffer, bounded.Token);
        }
        while (read > 0);
    }

    [Fact]
    public async Task A_connection_that_sends_nothing_is_closed_after_the_header_timeout()
    {
        await using var server = await StartWithOneSecondHeadTimeoutAsync();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);

        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal(0, await ReadOrEndAsync(tcp.GetStream(), new byte[16], bounded.Token));
    }

    [Fact]
    public async Task A_TLS_endpoint_serves_wss_and_never_answers_an_upgrade_sent_in_the_clear()
    {
        using var certificate = SelfSignedCertificate();
        await using var server = await RelayServer.StartAsync(
            [],
            builder => builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0, endpoint => endpoint.UseHttps(certificate))));
        var address = new Uri(server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        Assert.Equal("https", address.Scheme);

        using (var wss = new ClientWebSocket())
        {
            wss.Options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            using var connectTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await wss.ConnectAsync(new Uri($"wss://{address.Authority}/v1/websocket"), connectTimeout.Token);
            Assert.Equal(WebSocketState.Open, wss.State);
        }

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET /v1/websocket HTTP/1.1\r\nHost: {address.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answer = new List<byte>();
        var buffer = new byte[1024];
        int read;
        while ((read = await ReadOrEndAsync(stream, buffer, bounded.Token)) > 0)
        {
            answer.AddRange(buffer.AsSpan(0, read));
        }

        Assert.DoesNotContain("101", Encoding.ASCII.GetString([.. answer]), StringComparison.Ordinal);
    }

    private static Task<RelayServer> StartWithOneSecondHeadTimeoutAsync() => RelayServer.StartAsync(
        [],
        builder => builder.WebHost.ConfigureKestrel(o => o.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(1)));

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Exported and loaded again, so that the private key is usable by TLS on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    /// <summary>The bytes read, or 0 once the server has closed (or reset) the connection.</summary>
    private static async Task<int> ReadOrEndAsync(NetworkStream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.ReadAsync(buffer, cancellationToken);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
