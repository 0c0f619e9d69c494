using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Rest;

/// <summary>A server with one API key configured.</summary>
public sealed class ApiKeyServerFixture : IAsyncLifetime
{
    public const string Key = "integration-test-key-0123456789";

    public RelayServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RelayServer.StartAsync(("Relay:ApiKeys:0", Key));

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class ApiKeyTests(ApiKeyServerFixture fixture) : IClassFixture<ApiKeyServerFixture>
{
    private RelayServer Server => fixture.Server;

    /// <summary>Every REST endpoint, with a valid body where it takes one.</summary>
    public static TheoryData<string, string, string?> Endpoints => new()
    {
        { "POST", "/v1/api/rooms", "{}" },
        { "GET", "/v1/api/rooms", null },
        { "GET", "/v1/api/rooms/some-room", null },
        { "PATCH", "/v1/api/rooms/some-room", """{"locked":true}""" },
        { "DELETE", "/v1/api/rooms/some-room", null },
        { "POST", "/v1/api/rooms/some-room/messages", """{"data":1}""" },
        { "DELETE", "/v1/api/rooms/some-room/clients/1", null },
        { "GET", "/v1/api/summary", null },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Every_endpoint_answers_401_problem_without_a_key(string method, string path, string? body)
    {
        using var request = Request(method, path, body);

        using var response = await Server.Http.SendAsync(request);

        await Problems.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Every_endpoint_answers_401_with_a_wrong_key(string method, string path, string? body)
    {
        using var request = Request(method, path, body);
        request.Headers.Add("X-Api-Key", ApiKeyServerFixture.Key + "-wrong");

        using var response = await Server.Http.SendAsync(request);

        await Problems.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Every_endpoint_answers_401_with_a_wrong_bearer_token(string method, string path, string? body)
    {
        using var request = Request(method, path, body);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-key-but-long-enough");

        using var response = await Server.Http.SendAsync(request);

        await Problems.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_unauthenticated_request_with_a_malformed_body_answers_401()
    {
        using var request = Request("POST", "/v1/api/rooms", "{not json");

        using var response = await Server.Http.SendAsync(request);

        await Problems.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_x_api_key_header_opens_every_endpoint()
    {
        await ExerciseEveryEndpointAsync(r => r.Headers.Add("X-Api-Key", ApiKeyServerFixture.Key));
    }

    [Fact]
    public async Task An_authorization_bearer_token_opens_every_endpoint()
    {
        await ExerciseEveryEndpointAsync(r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKeyServerFixture.Key));
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task Health_endpoints_need_no_key(string path)
    {
        using var response = await Server.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Creates a room, joins a client, then calls every endpoint and checks its success status.</summary>
    private async Task ExerciseEveryEndpointAsync(Action<HttpRequestMessage> authenticate)
    {
        async Task<HttpResponseMessage> SendAsync(string method, string path, string? body, HttpStatusCode expected)
        {
            using var request = Request(method, path, body);
            authenticate(request);
            var response = await Server.Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == expected, $"{method} {path}: expected {(int)expected}, got {(int)response.StatusCode} {text}");
            return response;
        }

        using var created = await SendAsync("POST", "/v1/api/rooms", "{}", HttpStatusCode.Created);
        var room = await RelayApi.ReadJsonAsync(created);
        var id = room.GetProperty("id").GetString();
        await using var client = await Server.ConnectClientAsync();
        await client.JoinAsync(id!, room.GetProperty("secret").GetString()!);

        (await SendAsync("GET", "/v1/api/rooms", null, HttpStatusCode.OK)).Dispose();
        (await SendAsync("GET", $"/v1/api/rooms/{id}", null, HttpStatusCode.OK)).Dispose();
        (await SendAsync("PATCH", $"/v1/api/rooms/{id}", """{"maxClients":5}""", HttpStatusCode.OK)).Dispose();
        (await SendAsync("POST", $"/v1/api/rooms/{id}/messages", """{"data":1}""", HttpStatusCode.Accepted)).Dispose();
        (await SendAsync("GET", "/v1/api/summary", null, HttpStatusCode.OK)).Dispose();
        (await SendAsync("DELETE", $"/v1/api/rooms/{id}/clients/{client.ClientId}", null, HttpStatusCode.NoContent)).Dispose();
        (await SendAsync("DELETE", $"/v1/api/rooms/{id}", null, HttpStatusCode.NoContent)).Dispose();
    }

    private static HttpRequestMessage Request(string method, string path, string? body)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return request;
    }
}
