using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Relay.Client.Tests.Infrastructure;

/// <summary>The real Relay server (Kestrel) on 127.0.0.1 and a free port, configured with operator keys.</summary>
public sealed class TestServer : IAsyncDisposable
{
    public const string ApiKey = "client-tests-key-0123456789";

    private readonly WebApplication _app;

    private TestServer(WebApplication app, Uri address, string? apiKey)
    {
        _app = app;
        Address = address;
        Api = new RelayApiClient(address, apiKey);
    }

    /// <summary>The server's http address.</summary>
    public Uri Address { get; }

    /// <summary>A REST client with the right API key (when the server has one).</summary>
    public RelayApiClient Api { get; }

    /// <summary>Starts a server; <paramref name="settings"/> are "Relay:Key=value" pairs.</summary>
    public static async Task<TestServer> StartAsync(bool withApiKey = false, params string[] settings)
    {
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            "--environment=Production",
            "--Logging:LogLevel:Default=Warning",
        };
        args.Add(withApiKey ? $"--Relay:ApiKeys:0={ApiKey}" : "--Relay:AllowAnonymousApi=true");
        args.AddRange(settings.Select(s => "--" + s));
        var app = Relay.Api.RelayServer.Build([.. args]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestServer(app, new Uri(address), withApiKey ? ApiKey : null);
    }

    /// <summary>Creates a room with defaults (or <paramref name="request"/>).</summary>
    public Task<CreatedRoom> CreateRoomAsync(CreateRoomRequest? request = null) => Api.CreateRoomAsync(request);

    /// <summary>Connects a client through <paramref name="via"/> (default: this server) and waits for <c>connected</c>.</summary>
    public async Task<Probe> ConnectAsync(CreatedRoom room, string? name = null, Action<RelayRealtimeOptions>? configure = null, Uri? via = null, bool asHost = false)
    {
        var options = new RelayRealtimeOptions
        {
            ServerUri = via ?? Address,
            RoomId = room.Id,
            Secret = asHost ? room.HostSecret : room.Secret,
            Name = name,
        };
        configure?.Invoke(options);
        var probe = new Probe(new RelayRealtimeClient(options));
        probe.Connected = await probe.Client.ConnectAsync().WaitAsync(Probe.Timeout);
        return probe;
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One open-API server shared by the tests of a class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
