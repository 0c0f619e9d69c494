using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>
/// The real Relay server (Kestrel) on 127.0.0.1 and a free port, configured through the same
/// command-line keys an operator would use. Start one per test class (xunit class fixture) or per test.
/// </summary>
public sealed class RelayServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RelayServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        WebSocketUri = new Uri($"ws://{baseAddress.Authority}/v1/websocket");
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        Api = new RelayApi(Http);
    }

    public Uri BaseAddress { get; }

    public Uri WebSocketUri { get; }

    public HttpClient Http { get; }

    public RelayApi Api { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a server. <paramref name="settings"/> are `Relay:...` style keys, e.g. ("Relay:MaxMessageBytes", "2048").</summary>
    public static async Task<RelayServer> StartAsync(params (string Key, string Value)[] settings)
    {
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            "--environment=Production",
            "--Relay:AllowAnonymousApi=true",
            "--Logging:LogLevel:Default=Warning",
        };
        args.AddRange(settings.Select(s => $"--{s.Key}={s.Value}"));
        var app = Relay.Api.RelayServer.Build([.. args]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RelayServer(app, new Uri(address));
    }

    /// <summary>Stops the server as SIGTERM would (graceful shutdown).</summary>
    public Task StopAsync() => _app.StopAsync();

    public Task<TestClient> ConnectClientAsync(Action<System.Net.WebSockets.ClientWebSocketOptions>? configure = null) =>
        TestClient.ConnectAsync(WebSocketUri, configure);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>An xunit class fixture holding one default server for the tests of a class.</summary>
public sealed class DefaultServerFixture : IAsyncLifetime
{
    public RelayServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RelayServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
