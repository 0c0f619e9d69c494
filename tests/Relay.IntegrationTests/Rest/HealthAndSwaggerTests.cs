using System.Net;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Rest;

public sealed class HealthAndSwaggerTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task Health_endpoint_answers_200(string path)
    {
        using var response = await Server.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Swagger_ui_answers_200()
    {
        using var response = await Server.Http.GetAsync("/swagger/index.html");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Swagger_document_is_an_openapi_document()
    {
        var document = await Server.Api.GetJsonAsync("/swagger/v1/swagger.json");

        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Object, document.GetProperty("paths").ValueKind);
    }

    public static TheoryData<string, string, int> Operations => new()
    {
        { "/v1/api/rooms", "post", 201 },
        { "/v1/api/rooms", "get", 200 },
        { "/v1/api/rooms/{id}", "get", 200 },
        { "/v1/api/rooms/{id}", "patch", 200 },
        { "/v1/api/rooms/{id}", "delete", 204 },
        { "/v1/api/rooms/{id}/messages", "post", 202 },
        { "/v1/api/rooms/{id}/clients/{clientId}", "delete", 204 },
        { "/v1/api/summary", "get", 200 },
    };

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Swagger_documents_each_rest_operation_with_its_success_response(string path, string method, int status)
    {
        var document = await Server.Api.GetJsonAsync("/swagger/v1/swagger.json");

        Assert.True(document.GetProperty("paths").TryGetProperty(path, out var item), $"{path} is not documented");
        Assert.True(item.TryGetProperty(method, out var operation), $"{method} {path} is not documented");
        var responses = operation.GetProperty("responses");
        Assert.True(
            responses.TryGetProperty(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var success),
            $"{method} {path} does not document {status}: {responses.GetRawText()}");
        if (status != 204)
        {
            Assert.True(HasSchema(success), $"{method} {path} {status} has no response schema: {success.GetRawText()}");
        }
    }

    [Theory]
    [InlineData("/v1/api/rooms", "post")]
    [InlineData("/v1/api/rooms/{id}", "patch")]
    [InlineData("/v1/api/rooms/{id}/messages", "post")]
    public async Task Swagger_documents_the_request_body_schema(string path, string method)
    {
        var document = await Server.Api.GetJsonAsync("/swagger/v1/swagger.json");

        var operation = document.GetProperty("paths").GetProperty(path).GetProperty(method);
        Assert.True(operation.TryGetProperty("requestBody", out var body), $"{method} {path} has no request body");
        Assert.True(HasSchema(body), $"{method} {path} has no request schema: {body.GetRawText()}");
    }

    [Fact]
    public async Task Swagger_schemas_describe_the_room_fields()
    {
        var document = await Server.Api.GetJsonAsync("/swagger/v1/swagger.json");

        var schemas = document.GetProperty("components").GetProperty("schemas");
        var room = schemas.EnumerateObject()
            .Select(s => s.Value)
            .FirstOrDefault(s => s.TryGetProperty("properties", out var p) && p.TryGetProperty("hostSecret", out _));
        Assert.True(room.ValueKind == JsonValueKind.Object, "no schema describes the created room");
        var properties = room.GetProperty("properties");
        foreach (var field in new[] { "id", "secret", "hostSecret", "protocol", "hostAssignment", "maxClients", "locked", "metadata", "createdAt", "hostId", "clientCount" })
        {
            Assert.True(properties.TryGetProperty(field, out _), $"the created room schema lacks {field}");
        }
    }

    private static bool HasSchema(JsonElement withContent) =>
        withContent.TryGetProperty("content", out var content)
        && content.EnumerateObject().Any(c => c.Value.TryGetProperty("schema", out _));
}
