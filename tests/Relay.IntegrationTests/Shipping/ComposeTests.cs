using System.Text.RegularExpressions;
using Relay.IntegrationTests.Infrastructure;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Relay.IntegrationTests.Shipping;

/// <summary>
/// compose.yaml (not run here: no Docker engine) read as YAML, merge keys resolved, and checked against the files it
/// uses: three Redis-backed nodes from the Dockerfile, read-only with a tmpfs, each with its own node id; nginx with
/// deploy/nginx/relay.conf whose upstream names exactly those nodes; Prometheus scraping exactly those nodes.
/// </summary>
public sealed partial class ComposeTests
{
    [Fact]
    public void The_compose_stack_runs_three_hardened_nodes_on_redis_behind_the_shipped_nginx_config_and_prometheus_scrapes_them()
    {
        var services = Map(Load("compose.yaml")["services"]);
        var nodes = services.Keys.Where(k => k.StartsWith("relay-", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["relay-1", "relay-2", "relay-3"], nodes);

        foreach (var name in nodes)
        {
            var node = Map(services[name]);
            Assert.Equal(".", node["build"]);
            Assert.Equal("true", node["read_only"]);
            Assert.Contains("/tmp", List(node["tmpfs"]));
            Assert.Contains("ALL", List(node["cap_drop"]));
            Assert.Equal("20s", node["stop_grace_period"]);
            var environment = Map(node["environment"]);
            Assert.Equal("Redis", environment["Relay__Backplane"]);
            Assert.Equal("redis:6379", environment["Relay__Redis__ConnectionString"]);
            Assert.Equal(name, environment["Relay__Redis__NodeId"]);
            Assert.StartsWith("${RELAY_API_KEY:?", (string)environment["Relay__ApiKeys__0"], StringComparison.Ordinal);
            Assert.Equal("service_healthy", Map(Map(node["depends_on"])["redis"])["condition"]);
        }

        Assert.Equal(["redis-server", "--appendonly", "yes"], List(Map(services["redis"])["command"]));

        // The load balancer is the shipped nginx file, whose upstream is these nodes on the Dockerfile's port.
        var nginx = Map(services["nginx"]);
        Assert.Contains("./deploy/nginx/relay.conf:/etc/nginx/conf.d/default.conf:ro", List(nginx["volumes"]));
        var upstream = UpstreamServer().Matches(Repository.Read("deploy", "nginx", "relay.conf")).Select(m => m.Groups["target"].Value);
        Assert.Equal(nodes.Select(n => $"{n}:8080"), upstream);
        Assert.Contains("EXPOSE 8080", Repository.Read("Dockerfile"), StringComparison.Ordinal);
        Assert.Equal(nodes, Map(nginx["depends_on"]).Keys.Order(StringComparer.Ordinal));

        // Prometheus scrapes every node itself, and loads the alert rules.
        var prometheus = Load("deploy", "prometheus", "prometheus.yml");
        var job = Map(List(prometheus["scrape_configs"]).Single());
        Assert.Equal("relay", job["job_name"]);
        Assert.Equal(nodes.Select(n => $"{n}:8080"), List(Map(List(job["static_configs"]).Single())["targets"]));
        Assert.Equal(["alerts.yml"], List(prometheus["rule_files"]));

        // Every file the stack mounts is in the repository.
        foreach (var service in services.Values.Select(Map).Where(s => s.ContainsKey("volumes")))
        {
            foreach (var volume in List(service["volumes"]).Cast<string>().Where(v => v.StartsWith("./", StringComparison.Ordinal)))
            {
                var source = volume[2..].Split(':')[0];
                Assert.True(File.Exists(Repository.PathOf(source)) || Directory.Exists(Repository.PathOf(source)), $"compose.yaml mounts {source}, which does not exist");
            }
        }
    }

    private static Dictionary<object, object> Load(params string[] path)
    {
        using var reader = new StringReader(Repository.Read(path));
        var deserializer = new DeserializerBuilder().Build();
        return deserializer.Deserialize<Dictionary<object, object>>(new MergingParser(new Parser(reader)));
    }

    private static Dictionary<string, object> Map(object value) =>
        ((Dictionary<object, object>)value).ToDictionary(e => (string)e.Key, e => e.Value);

    private static List<object> List(object value) => (List<object>)value;

    [GeneratedRegex(@"^\s*server (?<target>[\w.-]+:\d+)[^;]*;", RegexOptions.Multiline)]
    private static partial Regex UpstreamServer();
}
