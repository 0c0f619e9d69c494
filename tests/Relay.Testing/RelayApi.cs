using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>A thin REST helper: raw <see cref="HttpResponseMessage"/>s where status codes are under test, JSON otherwise.</summary>
public sealed class RelayApi(HttpClient http)
{
    public HttpClient Http => http;

    /// <summary>Creates a room from raw JSON and returns the 201 body (fails the test otherwise).</summary>
    public async Task<CreatedRoom> CreateRoomAsync(string json = "{}")
    {
        using var response = await PostJsonAsync("/v1/api/rooms", json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create room: {(int)response.StatusCode} {body}");
        var element = JsonDocument.Parse(body).RootElement.Clone();
        return new CreatedRoom(
            element.GetProperty("id").GetString()!,
            element.GetProperty("secret").GetString()!,
            element.GetProperty("hostSecret").GetString()!,
            element);
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json) =>
        http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public Task<HttpResponseMessage> PatchJsonAsync(string path, string json) =>
        http.PatchAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).Clone();
}

/// <summary>A room as the create call returned it.</summary>
public sealed record CreatedRoom(string Id, string Secret, string HostSecret, JsonElement Body);
