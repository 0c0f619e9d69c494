using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>
/// The real Relay server (Kestrel) on 127.0.0.1 and a free port, configured through the same
/// command-line keys an operator would use. Start one per test class (xunit class fixture) or per test. Every
/// test project that runs the server in-process uses this host (the integration, .NET client and browser tests).
/// <para>
/// With the environment variable <c>RELAY_TEST_TOPOLOGY=cluster</c> (test.sh sets it for a second pass over
/// the protocol, realtime and REST tests), the same call starts three Redis-backed nodes of one cluster
/// instead, and this object spreads the test over them: each WebSocket client connects to the next node in
/// turn and each HTTP request goes to the next node in turn. So every such test also proves that a room
/// whose clients and backend calls are spread over three nodes behaves as on one node.
/// </para>
/// </summary>
public sealed class RelayServer : IAsyncDisposable
{
    private readonly WebApplication[] _apps;
    private readonly Uri[] _nodes;
    private int _nextClient;

    private RelayServer(WebApplication[] apps, Uri[] nodes, string? apiKey)
    {
        _apps = apps;
        _nodes = nodes;
        ApiKey = apiKey;
        BaseAddress = nodes[0];
        WebSocketUri = WebSocketUriOf(nodes[0]);
        Http = nodes.Length == 1
            ? new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) }
            : new HttpClient(new RoundRobinHandler(nodes)) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        if (apiKey is not null)
        {
            Http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        Api = new RelayApi(Http);
    }

    /// <summary>True when <c>StartAsync</c> starts a three-node cluster (see the class remarks).</summary>
    public static bool ClusterTopology { get; } =
        string.Equals(Environment.GetEnvironmentVariable("RELAY_TEST_TOPOLOGY"), "cluster", StringComparison.OrdinalIgnoreCase);

    /// <summary>The first node's `http://127.0.0.1:port/`.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The first node's origin, `http://127.0.0.1:port` (what a page it serves sends as `Origin`).</summary>
    public string Origin => BaseAddress.GetLeftPart(UriPartial.Authority);

    /// <summary>The REST API key the server requires (sent by <see cref="Http"/>), or null for an open API.</summary>
    public string? ApiKey { get; }

    public Uri WebSocketUri { get; }

    public HttpClient Http { get; }

    public RelayApi Api { get; }

    /// <summary>The first node's services.</summary>
    public IServiceProvider Services => _apps[0].Services;

    /// <summary>Starts a server. <paramref name="settings"/> are `Relay:...` style keys, e.g. ("Relay:MaxMessageBytes", "2048").</summary>
    public static Task<RelayServer> StartAsync(params (string Key, string Value)[] settings) => StartAsync(settings, configure: null);

    /// <summary>
    /// Starts a server with <paramref name="settings"/>; <paramref name="configure"/> changes each node's services
    /// before it is built (e.g. a fake <see cref="TimeProvider"/>); with <paramref name="apiKey"/> the REST API
    /// requires that key (and <see cref="Http"/> sends it), else it is open.
    /// </summary>
    public static async Task<RelayServer> StartAsync(
        (string Key, string Value)[] settings, Action<WebApplicationBuilder>? configure, string? apiKey = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (ClusterTopology && !settings.Any(s => s.Key == "Relay:Backplane"))
        {
            return await StartClusterAsync(settings, configure, apiKey);
        }

        var (app, address) = await StartNodeAsync(settings, configure, apiKey);
        return new RelayServer([app], [address], apiKey);
    }

    private static async Task<RelayServer> StartClusterAsync(
        (string Key, string Value)[] settings, Action<WebApplicationBuilder>? configure, string? apiKey)
    {
        var redis = await RedisServer.SharedAsync();
        var prefix = RelayCluster.NewKeyPrefix();
        var apps = new List<WebApplication>();
        var addresses = new List<Uri>();
        for (var i = 0; i < 3; i++)
        {
            // The default heartbeat: these tests are not about node failure, and a loaded CI box must not
            // mistake a slow node for a dead one.
            var (app, address) = await StartNodeAsync(
            [
                ("Relay:Backplane", "Redis"),
                ("Relay:Redis:ConnectionString", redis.ConnectionString),
                ("Relay:Redis:KeyPrefix", prefix),
                ("Relay:Redis:NodeId", $"node-{i}"),
                .. settings,
            ], configure, apiKey);
            apps.Add(app);
            addresses.Add(address);
        }

        return new RelayServer([.. apps], [.. addresses], apiKey);
    }

    private static async Task<(WebApplication App, Uri Address)> StartNodeAsync(
        (string Key, string Value)[] settings, Action<WebApplicationBuilder>? configure, string? apiKey)
    {
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            "--environment=Production",
            apiKey is null ? "--Relay:AllowAnonymousApi=true" : $"--Relay:ApiKeys:0={apiKey}",
            "--Logging:LogLevel:Default=Warning",
        };
        args.AddRange(settings.Select(s => $"--{s.Key}={s.Value}"));
        var app = Relay.Api.RelayServer.Build([.. args], configure);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address));
    }

    /// <summary>Stops the server as SIGTERM would (graceful shutdown).</summary>
    public Task StopAsync() => Task.WhenAll(_apps.Select(a => a.StopAsync()));

    /// <summary>Connects a client; in the cluster topology, to the next node in turn.</summary>
    public Task<TestClient> ConnectClientAsync(Action<System.Net.WebSockets.ClientWebSocketOptions>? configure = null)
    {
        var node = _nodes[(int)((uint)Interlocked.Increment(ref _nextClient) - 1) % _nodes.Length];
        return TestClient.ConnectAsync(WebSocketUriOf(node), configure);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Task.WhenAll(_apps.Select(async app =>
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }));
    }

    private static Uri WebSocketUriOf(Uri node) => new($"ws://{node.Authority}/v1/websocket");

    /// <summary>Sends each request to the next node in turn, keeping path and query.</summary>
    private sealed class RoundRobinHandler(Uri[] nodes) : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _next;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var node = nodes[(int)((uint)Interlocked.Increment(ref _next) - 1) % nodes.Length];
            request.RequestUri = new UriBuilder(request.RequestUri!) { Host = node.Host, Port = node.Port }.Uri;
            return base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>An xunit class fixture holding one default server for the tests of a class.</summary>
public sealed class DefaultServerFixture : IAsyncLifetime
{
    public RelayServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RelayServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
