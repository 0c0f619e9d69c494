using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Shipping;

/// <summary>
/// The shipped nginx and Caddy configurations, run by the real nginx and Caddy in front of two real Relay nodes on a
/// real Redis: REST, health and a WebSocket relay between clients that the balancer put on different nodes; a node
/// that stops is left out; per-node metrics are not served through the balancer.
/// </summary>
public sealed class ReverseProxyTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    public static TheoryData<string> Proxies => new() { "nginx", "caddy" };

    [Theory]
    [MemberData(nameof(Proxies))]
    public async Task Rest_health_and_a_cross_node_relay_go_through_the_shipped_config(string kind)
    {
        await using var cluster = await RelayCluster.StartAsync(2);
        var nodes = cluster.Nodes;
        await using var proxy = await ReverseProxy.StartAsync(kind, [.. nodes.Select(n => n.BaseAddress)]);
        var http = proxy.Http;

        foreach (var (path, status) in new[] { ("/healthz", HttpStatusCode.OK), ("/readyz", HttpStatusCode.OK), ("/metrics", HttpStatusCode.NotFound) })
        {
            using var response = await http.GetAsync(path);
            Assert.True(response.StatusCode == status, $"{kind} GET {path}: {(int)response.StatusCode}, expected {(int)status}\n{proxy.Output}");
        }

        // REST through the balancer: created on one node, read on whichever the balancer picks.
        var api = new RelayApi(http);
        var room = await api.CreateRoomAsync("""{"maxClients": 4, "metadata": {"via": "proxy"}}""");
        for (var i = 0; i < 4; i++)
        {
            var read = await api.GetJsonAsync($"/v1/api/rooms/{room.Id}");
            Assert.Equal("proxy", read.GetProperty("metadata").GetProperty("via").GetString());
        }

        // The Host header reaches the server with its port: the playground's CSP names the proxy's own address.
        using (var page = await http.GetAsync("/"))
        {
            var csp = string.Join(' ', page.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains($"ws://127.0.0.1:{proxy.Port} wss://127.0.0.1:{proxy.Port}", csp, StringComparison.Ordinal);
        }

        // Two WebSockets through the balancer, on different nodes (least connections), relaying both ways.
        await using var alice = await TestClient.ConnectAsync(proxy.WebSocketUri);
        await alice.JoinAsync(room.Id, room.Secret, "alice");
        await using var bob = await TestClient.ConnectAsync(proxy.WebSocketUri);
        await bob.JoinAsync(room.Id, room.Secret, "bob");
        await Eventually.HoldsAsync(
            async () =>
            {
                var counts = await Task.WhenAll(nodes.Select(n => GaugeAsync(n.Http, "relay_connections")));
                return (counts.All(c => c == 1), $"connections per node: {string.Join(", ", counts)}");
            },
            Bound,
            $"{kind}: one WebSocket on each node");
        await alice.ExpectAsync("client_joined");

        await alice.SendTextAsync("""{"type":"broadcast","data":{"text":"across nodes"}}""");
        var message = await bob.ExpectAsync("message");
        Assert.Equal(alice.ClientId, message.GetProperty("from").GetInt32());
        Assert.Equal("""{"text":"across nodes"}""", message.GetProperty("data").GetRawText());
        await bob.SendJsonAsync(new { type = "send", to = new[] { alice.ClientId }, data = "and back" });
        var reply = await alice.ExpectAsync("message");
        Assert.Equal(bob.ClientId, reply.GetProperty("from").GetInt32());
        Assert.Equal("\"and back\"", reply.GetProperty("data").GetRawText());
    }

    [Theory]
    [MemberData(nameof(Proxies))]
    public async Task A_node_that_stops_is_left_out_and_requests_go_to_the_other(string kind)
    {
        await using var cluster = await RelayCluster.StartAsync(2);
        var nodes = cluster.Nodes;
        await using var proxy = await ReverseProxy.StartAsync(kind, [.. nodes.Select(n => n.BaseAddress)]);
        var room = await new RelayApi(proxy.Http).CreateRoomAsync();

        await nodes[1].StopAsync();

        // Every request finds the live node: the stopped one refuses connections, and the balancer tries the other.
        for (var i = 0; i < 6; i++)
        {
            using var response = await proxy.Http.GetAsync($"/v1/api/rooms/{room.Id}");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{kind} request {i}: {(int)response.StatusCode}\n{proxy.Output}");
        }

        await using var client = await TestClient.ConnectAsync(proxy.WebSocketUri);
        await client.JoinAsync(room.Id, room.Secret, "survivor");
        Assert.Equal(1, await GaugeAsync(nodes[0].Http, "relay_connections"));
    }

    [Fact]
    public void The_shipped_nginx_config_upgrades_websockets_and_outlasts_the_servers_keep_alive()
    {
        var config = Repository.Read("deploy", "nginx", "relay.conf");
        Assert.Contains("proxy_set_header Upgrade $http_upgrade;", config, StringComparison.Ordinal);
        Assert.Contains("proxy_set_header Connection $connection_upgrade;", config, StringComparison.Ordinal);
        // No session affinity of any kind (comments aside).
        var directives = string.Join('\n', config.Split('\n').Where(l => !l.TrimStart().StartsWith('#')));
        foreach (var affinity in new[] { "ip_hash", "hash ", "sticky" })
        {
            Assert.DoesNotContain(affinity, directives, StringComparison.Ordinal);
        }
        // Relay pings every Relay:KeepAliveSeconds (15 s by default): both proxy timeouts must outlast two intervals.
        foreach (var directive in new[] { "proxy_read_timeout", "proxy_send_timeout" })
        {
            var seconds = int.Parse(Regex.Match(config, $@"{directive} (\d+)s;").Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(seconds > 2 * 15, $"{directive} {seconds}s is not above 2 x Relay:KeepAliveSeconds");
        }
    }

    [Fact]
    public async Task The_shipped_caddyfile_validates_as_it_is()
    {
        using var directory = new TempDirectory("caddy-validate");
        var result = await Tool.RunCheckedAsync(
            Tool.Find("caddy", "caddy"),
            ["validate", "--config", Repository.PathOf("deploy", "caddy", "Caddyfile"), "--adapter", "caddyfile"],
            directory.Path,
            ReverseProxy.CaddyEnvironment(directory, site: null, upstreams: null));
        Assert.Contains("Valid configuration", result.Output + result.Error, StringComparison.Ordinal);
    }

    private static async Task<double> GaugeAsync(HttpClient node, string name)
    {
        var text = await node.GetStringAsync("/metrics");
        var match = Regex.Match(text, $@"^{name} (\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no {name} in /metrics");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
