using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Relay.BrowserTests.Infrastructure;

/// <summary>The real Relay server (Kestrel) on 127.0.0.1 and a free port, started in-process.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestServer(WebApplication app, Uri baseAddress, string? apiKey)
    {
        _app = app;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        if (apiKey is not null)
        {
            Http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }
    }

    /// <summary>`http://127.0.0.1:port` without a trailing slash.</summary>
    public Uri BaseAddress { get; }

    public string Origin => BaseAddress.GetLeftPart(UriPartial.Authority);

    /// <summary>An HTTP client for this server that sends the server's API key when it requires one.</summary>
    public HttpClient Http { get; }

    /// <summary>
    /// Starts a server; with <paramref name="apiKey"/> its REST API requires that key. <paramref name="settings"/>
    /// are further `Relay:...` keys, e.g. ("Relay:AllowedOrigins:0", "https://app.example").
    /// </summary>
    public static async Task<TestServer> StartAsync(string? apiKey = null, params (string Key, string Value)[] settings)
    {
        var app = Relay.Api.RelayServer.Build(
        [
            "--urls=http://127.0.0.1:0",
            "--environment=Production",
            "--Logging:LogLevel:Default=Warning",
            apiKey is null ? "--Relay:AllowAnonymousApi=true" : $"--Relay:ApiKeys:0={apiKey}",
            .. settings.Select(s => $"--{s.Key}={s.Value}"),
        ]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestServer(app, new Uri(address), apiKey);
    }

    /// <summary>Creates a room through the REST API and returns the create answer (with its secrets).</summary>
    public async Task<JsonElement> CreateRoomAsync(object? body = null)
    {
        using var response = await Http.PostAsJsonAsync("/v1/api/rooms", body ?? new { });
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>The number of clients in a room, from `GET /v1/api/rooms/{id}`.</summary>
    public async Task<int> ClientCountAsync(string roomId)
    {
        var room = await Http.GetFromJsonAsync<JsonElement>($"/v1/api/rooms/{roomId}");
        return room.GetProperty("clientCount").GetInt32();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
