using System.Net;
using System.Net.Sockets;
using System.Text;
using Relay.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Rest;

/// <summary>
/// REST bodies over an endpoint's limit are refused with 413 before they are read: rooms (create, update) take
/// 4 x `Relay:MaxMetadataBytes` + 4096 bytes (20480 by default), a push `Relay:MaxMessageBytes` + 4096.
/// </summary>
[Trait("Scope", "node")] // Kestrel's body limit is each node's own
public sealed class RequestBodyLimitTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const long RoomLimit = (4 * 4096) + 4096;
    private const long PushLimit = 2048 + 4096;
    private const long Huge = 29_000_000; // the audit's 29 MB: under Kestrel's own 30 MB default, which Relay used to rely on

    private RelayServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await RelayServer.StartAsync(("Relay:MaxMessageBytes", "2048"));
        _http = PatientClient(_server.BaseAddress);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    /// <summary>
    /// A client that sends `Expect: 100-continue` and waits for the server's word before sending a body, as curl
    /// does for large bodies: the server can refuse the body before a byte of it is sent, and the client reads
    /// that answer while it is sending.
    /// </summary>
    internal static HttpClient PatientClient(Uri baseAddress) =>
        new(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(60) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
            DefaultRequestHeaders = { ExpectContinue = true },
        };

    public static TheoryData<string, string, bool> Endpoints => new()
    {
        { "POST", "/v1/api/rooms", false },
        { "POST", "/v1/api/rooms", true },
        { "PATCH", "/v1/api/rooms/{id}", false },
        { "PATCH", "/v1/api/rooms/{id}", true },
        { "POST", "/v1/api/rooms/{id}/messages", false },
        { "POST", "/v1/api/rooms/{id}/messages", true },
    };

    /// <summary>
    /// A declared `Content-Length` of 29 MB is refused before a byte of the body is sent. A chunked body is
    /// refused once it has grown past the limit: here it ends 8 KiB later and is sent whole, in one write, so that
    /// the server has it all when it answers and closes the connection (see
    /// <see cref="A_huge_chunked_body_is_cut_off_at_the_limit"/> for one that does not end).
    /// </summary>
    /// <remarks>
    /// The chunked request is written on a raw socket: HttpClient writes the closing chunk on its own after the body,
    /// and on a loaded host that write could come after the server had answered and closed, so that HttpClient
    /// reported the broken pipe rather than the 413 it had been sent.
    /// </remarks>
    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task A_body_over_the_endpoints_limit_answers_413_problem(string method, string path, bool chunked)
    {
        var room = await _server.Api.CreateRoomAsync();
        var push = path.EndsWith("/messages", StringComparison.Ordinal);
        var limit = push ? PushLimit : RoomLimit;
        var target = path.Replace("{id}", room.Id, StringComparison.Ordinal);
        var filler = new string('x', (int)limit + 8192);
        using var content = chunked ? null : push ? LargeJsonContent.Data(Huge, chunked: false) : LargeJsonContent.Metadata(Huge, chunked: false);

        using var response = content is null
            ? await SendChunkedWholeAsync(method, target, push ? $"{{\"data\":\"{filler}\"}}" : $"{{\"metadata\":{{\"k\":\"{filler}\"}}}}")
            : await SendAsync(method, target, content);

        var problem = await Problems.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal($"The request body is larger than the {limit} bytes this endpoint accepts.", problem.GetProperty("detail").GetString());
        if (content is not null)
        {
            Assert.Equal(0, content.Written);
        }

        await AssertStillServingAsync();
    }

    /// <summary>
    /// Sends <paramref name="json"/> chunked (one chunk, then the closing one) in a single write on a new connection,
    /// and reads the answer until the server closes the connection.
    /// </summary>
    private async Task<HttpResponseMessage> SendChunkedWholeAsync(string method, string path, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var head = $"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{body.Length:x}\r\n";
        byte[] request = [.. Encoding.ASCII.GetBytes(head), .. body, .. "\r\n0\r\n\r\n"u8];
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _server.BaseAddress.Port), timeout.Token);
        await socket.SendAsync(request, SocketFlags.None, timeout.Token);
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            for (int read; (read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0;)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (SocketException) when (received.Length > 0)
        {
            // A reset after the answer (the server closed with request bytes it had not read): the answer is in.
        }

        return RawHttp.ParseResponse(received.ToArray());
    }

    /// <summary>
    /// A chunked body that keeps growing: the server stops reading at the limit and answers 413 on a connection
    /// it then closes, so the client, still sending, sees the connection end (HttpClient reports that rather
    /// than the answer). What matters: the client could not send the 29 MB, and the server keeps serving.
    /// </summary>
    [Theory]
    [InlineData("/v1/api/rooms")]
    [InlineData("/v1/api/rooms/{id}/messages")]
    public async Task A_huge_chunked_body_is_cut_off_at_the_limit(string path)
    {
        var room = await _server.Api.CreateRoomAsync();
        var push = path.EndsWith("/messages", StringComparison.Ordinal);
        using var content = push ? LargeJsonContent.Data(Huge, chunked: true) : LargeJsonContent.Metadata(Huge, chunked: true);

        try
        {
            using var response = await SendAsync("POST", path.Replace("{id}", room.Id, StringComparison.Ordinal), content);
            await Problems.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        }
        catch (HttpRequestException e) when (e.InnerException is IOException)
        {
            // The server closed the connection while the client was still sending.
        }

        output.WriteLine($"the client sent {content.Written} bytes of a {Huge}-byte chunked body");
        // Past the limit the client only fills the sockets' buffers (about 5 MB here), far from the whole body.
        Assert.True(content.Written < Huge / 2, $"the client sent {content.Written} bytes of a body the server should have cut off");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Each_endpoint_has_its_own_limit()
    {
        var room = await _server.Api.CreateRoomAsync();
        // 10 KB: over a push's 6144 bytes, under a room's 20480 (where it is a metadata too large for the rules).
        using var push = await SendAsync("POST", $"/v1/api/rooms/{room.Id}/messages", LargeJsonContent.Data(10_000, chunked: false));
        using var create = await SendAsync("POST", "/v1/api/rooms", LargeJsonContent.Metadata(10_000, chunked: false));

        await Problems.AssertProblemAsync(push, HttpStatusCode.RequestEntityTooLarge);
        await Problems.AssertValidationErrorAsync(create, "metadata");
    }

    [Fact]
    public async Task Bodies_at_the_limit_are_read()
    {
        var room = await _server.Api.CreateRoomAsync();
        var data = new string('x', (int)PushLimit - """{"data":""}""".Length);

        using var push = await _server.Api.PostJsonAsync($"/v1/api/rooms/{room.Id}/messages", $$"""{"data":"{{data}}"}""");

        Assert.Equal(HttpStatusCode.Accepted, push.StatusCode);
    }

    [Fact]
    public async Task Four_huge_bodies_at_once_are_all_refused_and_the_server_keeps_serving()
    {
        var room = await _server.Api.CreateRoomAsync();
        var sends = Enumerable.Range(0, 4).Select(async i =>
        {
            using var content = i % 2 == 0 ? LargeJsonContent.Metadata(Huge, chunked: false) : LargeJsonContent.Data(Huge, chunked: false);
            using var response = await SendAsync("POST", i % 2 == 0 ? "/v1/api/rooms" : $"/v1/api/rooms/{room.Id}/messages", content);
            return response.StatusCode;
        });

        Assert.All(await Task.WhenAll(sends), status => Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status));
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_anonymous_caller_gets_401_not_413(bool chunked)
    {
        await using var keyed = await RelayServer.StartAsync(("Relay:ApiKeys:0", ApiKeyServerFixture.Key));
        using var http = PatientClient(keyed.BaseAddress);
        using var content = LargeJsonContent.Metadata(chunked ? RoomLimit + 8192 : Huge, chunked);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/api/rooms") { Content = content };

        using var response = await http.SendAsync(request);

        await Problems.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal(0, content.Written);
    }

    private async Task<HttpResponseMessage> SendAsync(string method, string path, HttpContent content)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = content };
        return await _http.SendAsync(request);
    }

    private async Task AssertStillServingAsync()
    {
        var room = await _server.Api.CreateRoomAsync("""{"metadata":{"still":"serving"}}""");
        Assert.Equal("serving", room.Body.GetProperty("metadata").GetProperty("still").GetString());
    }
}
