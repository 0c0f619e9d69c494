using System.Net.Http.Json;
using System.Text.Json;

namespace Relay.LoadGen.Targets;

/// <summary>The REST side of Relay's protocol shared by both client modes: creating rooms.</summary>
internal static class RelayRest
{
    public static HttpClient CreateHttpClient(Uri baseAddress, string? apiKey)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (!string.IsNullOrEmpty(apiKey))
        {
            http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return http;
    }

    /// <summary>`POST /v1/api/rooms`; the handle is `"&lt;id&gt; &lt;secret&gt;"` (see <see cref="ConnectMessage(string)"/>).</summary>
    public static async Task<string> CreateRoomAsync(HttpClient http, int maxClients, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("/v1/api/rooms", new { maxClients }, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException($"create room: {(int)response.StatusCode} {body}");
        }

        using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        var id = json.RootElement.GetProperty("id").GetString()!;
        var secret = json.RootElement.GetProperty("secret").GetString()!;
        return id + " " + secret;
    }

    /// <summary>The `connect` message of a room handle made by <see cref="CreateRoomAsync"/>.</summary>
    public static byte[] ConnectMessage(string room)
    {
        ArgumentNullException.ThrowIfNull(room);
        var space = room.IndexOf(' ', StringComparison.Ordinal);
        return JsonSerializer.SerializeToUtf8Bytes(new ConnectMessage("connect", room[..space], room[(space + 1)..]), LoadGenJson.Default.ConnectMessage);
    }
}

internal sealed record ConnectMessage(string Type, string RoomId, string Secret);
