using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Rest;

/// <summary>
/// The OpenAPI document a user clicks through in Swagger UI: committed as `docs/openapi.json`, every body with
/// an example the real server accepts, API-named schemas, enums, descriptions, and the key only on `/v1/api`.
/// </summary>
public sealed class OpenApiDocumentTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private const string DocumentPath = "/swagger/v1/swagger.json";
    private const string UpdateVariable = "RELAY_UPDATE_OPENAPI";

    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task The_committed_docs_openapi_json_is_the_document_the_server_serves()
    {
        var served = await ServedDocumentAsync();
        var file = Repository.PathOf("docs", "openapi.json");
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            var options = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            await File.WriteAllTextAsync(file, served.ToJsonString(options) + "\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            return;
        }

        var regenerate = $"{UpdateVariable}=1 dotnet test tests/Relay.IntegrationTests --filter \"FullyQualifiedName~{nameof(OpenApiDocumentTests)}\"";
        Assert.True(File.Exists(file), $"docs/openapi.json is missing: create it with `{regenerate}`");
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(file));
        var difference = FirstDifference(committed, served, "$");
        Assert.True(
            difference is null,
            $"docs/openapi.json differs from the server's {DocumentPath} at {difference}. If the change is intended, regenerate the file with `{regenerate}` and commit it.");
    }

    [Fact]
    public async Task The_examples_click_through_every_operation_with_its_documented_success()
    {
        var document = await ServedDocumentAsync();
        var example = Example(document, document["paths"]!["/v1/api/rooms"]!["post"]!["requestBody"]!["content"]!["application/json"]!)!;
        var (status, created) = await SendDocumentedAsync(document, "/v1/api/rooms", "post");
        Assert.Equal(201, status);
        Assert.NotNull(created);
        Assert.Equal(example["id"]!.ToJsonString(), created["id"]!.ToJsonString());
        Assert.Equal(example["metadata"]!.ToJsonString(), created["metadata"]!.ToJsonString());

        // Two clients, so that the examples' client 2 exists.
        var id = created["id"]!.GetValue<string>();
        var secret = created["secret"]!.GetValue<string>();
        await using var alice = await Server.ConnectClientAsync();
        await alice.JoinAsync(id, secret, "alice");
        await using var bob = await Server.ConnectClientAsync();
        await bob.JoinAsync(id, secret, "bob");
        Assert.Equal(2, bob.ClientId);

        foreach (var (path, method) in new[]
        {
            ("/v1/api/rooms/{id}", "get"),
            ("/v1/api/rooms", "get"),
            ("/v1/api/summary", "get"),
            ("/v1/api/rooms/{id}", "patch"),
            ("/v1/api/rooms/{id}/messages", "post"),
            ("/v1/api/rooms/{id}/clients/{clientId}", "delete"),
            ("/v1/api/rooms/{id}", "delete"),
        })
        {
            var expected = int.Parse(SuccessCode(document["paths"]![path]![method]!), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(expected, (await SendDocumentedAsync(document, path, method)).Status);
        }

        var message = await bob.ExpectAsync("message");
        Assert.Equal(0, message.GetProperty("from").GetInt32());
    }

    [Fact]
    public async Task Every_request_and_response_body_has_an_example()
    {
        var document = await ServedDocumentAsync();

        foreach (var (name, operation) in Operations(document))
        {
            if (operation["requestBody"]?["content"] is JsonObject requestContent)
            {
                foreach (var (type, media) in requestContent)
                {
                    Assert.True(Example(document, media!) is not null, $"{name}: the {type} request body has no example");
                }
            }

            foreach (var (status, response) in operation["responses"]!.AsObject())
            {
                foreach (var (type, media) in response!["content"]?.AsObject() ?? [])
                {
                    var example = Example(document, media!);
                    Assert.True(example is not null, $"{name}: the {status} {type} response has no example");
                    if (type == "application/problem+json")
                    {
                        Assert.Equal(status, example["status"]!.GetValue<int>().ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                }
            }
        }
    }

    [Fact]
    public async Task Only_the_rest_api_needs_the_key()
    {
        var document = await ServedDocumentAsync();

        Assert.Null(document["security"]);
        Assert.Null(document["paths"]!["/metrics"]);
        foreach (var (name, operation) in Operations(document))
        {
            if (name.Contains(" /v1/api/", StringComparison.Ordinal))
            {
                Assert.True(operation["security"]?[0]?["ApiKey"] is JsonArray, $"{name} shows no key padlock");
            }
            else
            {
                Assert.True(operation["security"] is null, $"{name} asks for a key: {operation["security"]?.ToJsonString()}");
            }
        }

        Assert.Contains(Operations(document), o => o.Name == "get /healthz");
        Assert.Contains(Operations(document), o => o.Name == "get /readyz");
    }

    [Fact]
    public async Task Schemas_are_named_after_the_api()
    {
        var document = await ServedDocumentAsync();

        var names = document["components"]!["schemas"]!.AsObject().Select(s => s.Key).Order(StringComparer.Ordinal);

        Assert.Equal(
            ["CreateRoomRequest", "CreatedRoom", "HealthStatus", "HttpValidationProblemDetails", "LivenessStatus", "ProblemDetails", "PushMessageRequest", "PushMessageResult", "Room", "RoomClient", "RoomList", "Summary", "UpdateRoomRequest"],
            names);
    }

    [Fact]
    public async Task Every_api_property_and_parameter_is_described()
    {
        var document = await ServedDocumentAsync();

        foreach (var (name, schema) in document["components"]!["schemas"]!.AsObject().Where(s => !s.Key.Contains("Problem", StringComparison.Ordinal)))
        {
            Assert.False(string.IsNullOrWhiteSpace(schema!["description"]?.GetValue<string>()), $"schema {name} has no description");
            foreach (var (property, definition) in schema["properties"]!.AsObject())
            {
                Assert.False(string.IsNullOrWhiteSpace(definition!["description"]?.GetValue<string>()), $"{name}.{property} has no description");
            }
        }

        foreach (var (name, operation) in Operations(document))
        {
            foreach (var parameter in operation["parameters"]?.AsArray() ?? [])
            {
                Assert.False(string.IsNullOrWhiteSpace(parameter!["description"]?.GetValue<string>()), $"{name}: parameter {parameter["name"]} has no description");
                Assert.NotNull(parameter["example"]);
            }
        }
    }

    [Theory]
    [InlineData("protocol")]
    [InlineData("hostAssignment")]
    public async Task Protocol_and_hostAssignment_are_enums_of_values_the_server_accepts(string field)
    {
        var document = await ServedDocumentAsync();
        var schemas = document["components"]!["schemas"]!;

        var values = schemas["CreateRoomRequest"]!["properties"]![field]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()).ToArray();

        Assert.NotEmpty(values);
        foreach (var schema in new[] { "Room", "CreatedRoom" })
        {
            Assert.Equal(values, schemas[schema]!["properties"]![field]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        }

        foreach (var value in values)
        {
            var room = await Server.Api.CreateRoomAsync($$"""{"{{field}}":"{{value}}"}""");
            Assert.Equal(value, room.Body.GetProperty(field).GetString());
        }
    }

    /// <summary>Sends the operation with its documented parameter examples and body example; returns the answer.</summary>
    private async Task<(int Status, JsonNode? Body)> SendDocumentedAsync(JsonNode document, string path, string method)
    {
        var operation = document["paths"]![path]![method]!;
        var url = path;
        var query = new List<string>();
        foreach (var parameter in operation["parameters"]?.AsArray() ?? [])
        {
            var value = parameter!["example"]!.ToString();
            if (parameter["in"]!.GetValue<string>() == "path")
            {
                url = url.Replace($"{{{parameter["name"]}}}", Uri.EscapeDataString(value), StringComparison.Ordinal);
            }
            else
            {
                query.Add($"{parameter["name"]}={Uri.EscapeDataString(value)}");
            }
        }

        using var request = new HttpRequestMessage(new HttpMethod(method), query.Count == 0 ? url : $"{url}?{string.Join('&', query)}");
        if (operation["requestBody"]?["content"]?["application/json"] is { } media)
        {
            request.Content = new StringContent(Example(document, media)!.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await Server.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {url} with the documented example: {(int)response.StatusCode} {body}");
        return ((int)response.StatusCode, body.Length == 0 ? null : JsonNode.Parse(body));
    }

    private async Task<JsonNode> ServedDocumentAsync()
    {
        using var response = await Server.Http.GetAsync(DocumentPath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static IEnumerable<(string Name, JsonNode Operation)> Operations(JsonNode document) =>
        document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject().Select(op => ($"{op.Key} {path.Key}", op.Value!)));

    /// <summary>The example of a media type: its own, or that of the schema it refers to.</summary>
    private static JsonNode? Example(JsonNode document, JsonNode media)
    {
        if (media["example"] is { } example)
        {
            return example;
        }

        var reference = media["schema"]?["$ref"]?.GetValue<string>();
        return reference is null ? media["schema"]?["example"] : document["components"]!["schemas"]![reference.Split('/')[^1]]!["example"];
    }

    private static string SuccessCode(JsonNode operation) =>
        operation["responses"]!.AsObject().Select(r => r.Key).Single(code => code.StartsWith('2'));

    /// <summary>The JSON path of the first difference between two documents (object members in any order), or null.</summary>
    private static string? FirstDifference(JsonNode? expected, JsonNode? actual, string path)
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var (key, value) in e)
                {
                    if (!a.ContainsKey(key))
                    {
                        return $"{Member(path, key)} (only in the file)";
                    }

                    if (FirstDifference(value, a[key], Member(path, key)) is { } inner)
                    {
                        return inner;
                    }
                }

                return a.Select(p => p.Key).FirstOrDefault(k => !e.ContainsKey(k)) is { } extra ? $"{Member(path, extra)} (only in the served document)" : null;
            case (JsonArray e, JsonArray a):
                for (var i = 0; i < Math.Max(e.Count, a.Count); i++)
                {
                    if (i >= e.Count || i >= a.Count)
                    {
                        return $"{path}[{i}] (the arrays have {e.Count} and {a.Count} items)";
                    }

                    if (FirstDifference(e[i], a[i], $"{path}[{i}]") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            default:
                return JsonNode.DeepEquals(expected, actual) ? null : $"{path} (file: {expected?.ToJsonString() ?? "null"}, served: {actual?.ToJsonString() ?? "null"})";
        }
    }

    private static string Member(string path, string key) =>
        key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? $"{path}.{key}" : $"{path}['{key}']";
}
