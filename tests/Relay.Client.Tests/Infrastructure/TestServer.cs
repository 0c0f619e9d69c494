using RelayServer = Relay.IntegrationTests.Infrastructure.RelayServer;

namespace Relay.Client.Tests.Infrastructure;

/// <summary>
/// The suite's one in-process host (<see cref="RelayServer"/>) seen through the .NET client: a
/// <see cref="RelayApiClient"/> for its REST API and realtime clients wrapped in <see cref="Probe"/>s.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public const string ApiKey = "client-tests-key-0123456789";

    private TestServer(RelayServer host)
    {
        Host = host;
        Api = new RelayApiClient(host.BaseAddress, host.ApiKey);
    }

    /// <summary>The server itself.</summary>
    public RelayServer Host { get; }

    /// <summary>The server's http address.</summary>
    public Uri Address => Host.BaseAddress;

    /// <summary>A REST client with the right API key (when the server has one).</summary>
    public RelayApiClient Api { get; }

    /// <summary>Starts a server; <paramref name="settings"/> are "Relay:Key=value" pairs.</summary>
    public static async Task<TestServer> StartAsync(bool withApiKey = false, params string[] settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var pairs = settings.Select(s => s.Split('=', 2)).Select(p => (p[0], p[1])).ToArray();
        return new TestServer(await RelayServer.StartAsync(pairs, configure: null, withApiKey ? ApiKey : null));
    }

    /// <summary>Creates a room with defaults (or <paramref name="request"/>).</summary>
    public Task<CreatedRoom> CreateRoomAsync(CreateRoomRequest? request = null) => Api.CreateRoomAsync(request);

    /// <summary>Connects a client through <paramref name="via"/> (default: this server) and waits for <c>connected</c>.</summary>
    public async Task<Probe> ConnectAsync(CreatedRoom room, string? name = null, Action<RelayRealtimeOptions>? configure = null, Uri? via = null, bool asHost = false)
    {
        ArgumentNullException.ThrowIfNull(room);
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
        await Host.DisposeAsync();
    }
}

/// <summary>One open-API server shared by the tests of a class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
