using System.Net;
using System.Text.Json;

namespace Relay.IntegrationTests.Rest;

/// <summary>Assertions for RFC 9457 problem responses.</summary>
internal static class Problems
{
    public const string ContentType = "application/problem+json";

    /// <summary>Asserts <paramref name="response"/> is a problem with <paramref name="status"/> and returns its body.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal(ContentType, response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        return problem;
    }

    /// <summary>Asserts a 400 problem whose `errors` map names <paramref name="field"/> with at least one message.</summary>
    public static async Task<JsonElement> AssertValidationErrorAsync(HttpResponseMessage response, string field)
    {
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(
            problem.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object,
            $"expected an errors map, got {problem.GetRawText()}");
        Assert.True(
            errors.TryGetProperty(field, out var messages),
            $"expected errors to name '{field}', got {errors.GetRawText()}");
        Assert.True(messages.GetArrayLength() > 0, $"expected messages for '{field}', got {messages.GetRawText()}");
        Assert.False(string.IsNullOrWhiteSpace(messages[0].GetString()));
        return problem;
    }

    public static async Task<JsonElement> AssertValidationErrorAsync(Task<HttpResponseMessage> request, string field)
    {
        using var response = await request;
        return await AssertValidationErrorAsync(response, field);
    }

    public static async Task<JsonElement> AssertNotFoundAsync(Task<HttpResponseMessage> request)
    {
        using var response = await request;
        return await AssertProblemAsync(response, HttpStatusCode.NotFound);
    }
}
