using System.Globalization;
using System.Text.RegularExpressions;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Shipping;

/// <summary>
/// Debian's nginx or Caddy running the shipped configuration (deploy/nginx/relay.conf, deploy/caddy/Caddyfile) on
/// 127.0.0.1 and a free port, in front of real Relay nodes; only the listen address and the upstream servers are
/// changed. nginx runs as the current user with a prefix of its own; Caddy without its admin endpoint.
/// </summary>
internal sealed partial class ReverseProxy : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _directory;
    private readonly BackgroundProcess _process;

    private ReverseProxy(string kind, TempDirectory directory, BackgroundProcess process, int port)
    {
        Kind = kind;
        _directory = directory;
        _process = process;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(15) };
    }

    public string Kind { get; }

    public int Port { get; }

    public Uri BaseAddress { get; }

    public Uri WebSocketUri => new($"ws://127.0.0.1:{Port}/v1/websocket");

    public HttpClient Http { get; }

    public string Output => _process.Output;

    public static Task<ReverseProxy> StartAsync(string kind, IReadOnlyList<Uri> nodes) => kind switch
    {
        "nginx" => StartWithRetriesAsync(kind, nodes, StartNginxAsync),
        "caddy" => StartWithRetriesAsync(kind, nodes, StartCaddyAsync),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "nginx or caddy"),
    };

    /// <summary>The shipped nginx file with `listen` and the upstream `server` lines pointed at this test's nodes.</summary>
    public static string NginxSite(int port, IReadOnlyList<Uri> nodes)
    {
        var shipped = Repository.Read("deploy", "nginx", "relay.conf");
        var servers = NginxUpstreamServer().Matches(shipped);
        Assert.True(servers.Count >= nodes.Count, $"deploy/nginx/relay.conf has {servers.Count} upstream servers, the test needs {nodes.Count}");
        var index = 0;
        var site = NginxUpstreamServer().Replace(shipped, match =>
        {
            var i = index++;
            return i < nodes.Count ? $"{match.Groups["indent"].Value}server {nodes[i].Authority}{match.Groups["parameters"].Value};" : string.Empty;
        });
        Assert.Single(NginxListen().Matches(site));
        return NginxListen().Replace(site, $"${{indent}}listen 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)};");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _process.DisposeAsync();
        _directory.Dispose();
    }

    /// <summary>A free port can be taken between our probe and the proxy's bind: a few attempts.</summary>
    private static async Task<ReverseProxy> StartWithRetriesAsync(
        string kind, IReadOnlyList<Uri> nodes, Func<TempDirectory, int, IReadOnlyList<Uri>, Task<BackgroundProcess>> start)
    {
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var directory = new TempDirectory(kind);
            var port = ProcessWatchdog.FreePort();
            BackgroundProcess? process = null;
            try
            {
                process = await start(directory, port, nodes);
                await process.WaitForPortAsync(port, StartTimeout);
                return new ReverseProxy(kind, directory, process, port);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                last = ex;
                if (process is not null)
                {
                    await process.DisposeAsync();
                }

                directory.Dispose();
            }
        }

        throw new InvalidOperationException($"{kind} did not start after 3 attempts", last);
    }

    private static async Task<BackgroundProcess> StartNginxAsync(TempDirectory directory, int port, IReadOnlyList<Uri> nodes)
    {
        var nginx = Tool.Find("nginx", "nginx");
        directory.Write("relay.conf", NginxSite(port, nodes));
        // The main context: everything in the temporary prefix, one worker (the test asserts where connections go).
        var prefix = directory.Path;
        var main = directory.Write("nginx.conf", $$"""
            worker_processes 1;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/error.log info;
            events { worker_connections 256; }
            http {
                access_log {{prefix}}/access.log;
                client_body_temp_path {{prefix}}/client_body;
                proxy_temp_path {{prefix}}/proxy;
                fastcgi_temp_path {{prefix}}/fastcgi;
                uwsgi_temp_path {{prefix}}/uwsgi;
                scgi_temp_path {{prefix}}/scgi;
                include {{prefix}}/relay.conf;
            }
            """);
        string[] common = ["-p", prefix, "-c", main, "-e", $"{prefix}/error.log"];
        await Tool.RunCheckedAsync(nginx, ["-t", .. common], prefix);
        return BackgroundProcess.Start(nginx, [.. common, "-g", "daemon off;"], prefix);
    }

    private static Task<BackgroundProcess> StartCaddyAsync(TempDirectory directory, int port, IReadOnlyList<Uri> nodes)
    {
        var caddy = Tool.Find("caddy", "caddy");
        var process = BackgroundProcess.Start(
            caddy,
            ["run", "--config", Repository.PathOf("deploy", "caddy", "Caddyfile"), "--adapter", "caddyfile"],
            directory.Path,
            CaddyEnvironment(directory, $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", string.Join(' ', nodes.Select(n => n.Authority))));
        return Task.FromResult(process);
    }

    /// <summary>The Caddyfile's variables, and Caddy's data and config directories in <paramref name="directory"/>.</summary>
    public static Dictionary<string, string?> CaddyEnvironment(TempDirectory directory, string? site, string? upstreams) => new()
    {
        ["RELAY_SITE"] = site,
        ["RELAY_UPSTREAMS"] = upstreams,
        ["RELAY_CADDY_ADMIN"] = "off",
        ["HOME"] = directory.Path,
        ["XDG_DATA_HOME"] = directory.Combine("data"),
        ["XDG_CONFIG_HOME"] = directory.Combine("config"),
    };

    [GeneratedRegex(@"^(?<indent>[ \t]*)server relay-\d+:8080(?<parameters>[^;]*);", RegexOptions.Multiline)]
    private static partial Regex NginxUpstreamServer();

    [GeneratedRegex(@"^(?<indent>[ \t]*)listen 80;", RegexOptions.Multiline)]
    private static partial Regex NginxListen();
}
