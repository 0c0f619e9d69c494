using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>
/// The real Relay server (Kestrel) on 127.0.0.1 and a free port, configured through the same
/// command-line keys an operator would use. Start one per test class (xunit class fixture) or per test.
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

    private RelayServer(WebApplication[] apps, Uri[] nodes)
    {
        _apps = apps;
        _nodes = nodes;
        BaseAddress = nodes[0];
        WebSocketUri = WebSocketUriOf(nodes[0]);
        Http = nodes.Length == 1
            ? new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) }
            : new HttpClient(new RoundRobinHandler(nodes)) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        Api = new RelayApi(Http);
    }

    /// <summary>True when <c>StartAsync</c> starts a three-node cluster (see the class remarks).</summary>
    public static bool ClusterTopology { get; } =
        string.Equals(Environment.GetEnvironmentVariable("RELAY_TEST_TOPOLOGY"), "cluster", StringComparison.OrdinalIgnoreCase);

    public Uri BaseAddress { get; }

    public Uri WebSocketUri { get; }

    public HttpClient Http { get; }

    public RelayApi Api { get; }

    /// <summary>The first node's services.</summary>
    public IServiceProvider Services => _apps[0].Services;

    /// <summary>Starts a server. <paramref name="settings"/> are `Relay:...` style keys, e.g. ("Relay:MaxMessageBytes", "2048").</summary>
    public static Task<RelayServer> StartAsync(params (string Key, string Value)[] settings) => StartAsync(null, settings);

    /// <summary>
    /// Starts a server whose builder <paramref name="configure"/> may change further (services, logging) before it
    /// is built, as <c>RelayServer.Build</c> lets a host do.
    /// </summary>
    public static async Task<RelayServer> StartAsync(Action<WebApplicationBuilder>? configure, params (string Key, string Value)[] settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (ClusterTopology && !settings.Any(s => s.Key == "Relay:Backplane"))
        {
            return await StartClusterAsync(configure, settings);
        }

        var (app, address) = await StartNodeAsync(configure, settings);
        return new RelayServer([app], [address]);
    }

    private static async Task<RelayServer> StartClusterAsync(Action<WebApplicationBuilder>? configure, (string Key, string Value)[] settings)
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
                configure,
                [
                    ("Relay:Backplane", "Redis"),
                    ("Relay:Redis:ConnectionString", redis.ConnectionString),
                    ("Relay:Redis:KeyPrefix", prefix),
                    ("Relay:Redis:NodeId", $"node-{i}"),
                    .. settings,
                ]);
            apps.Add(app);
            addresses.Add(address);
        }

        return new RelayServer([.. apps], [.. addresses]);
    }

    private static async Task<(WebApplication App, Uri Address)> StartNodeAsync(Action<WebApplicationBuilder>? configure, (string Key, string Value)[] settings)
    {
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            "--environment=Production",
            "--Relay:AllowAnonymousApi=true",
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
