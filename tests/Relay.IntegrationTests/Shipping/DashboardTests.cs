using System.Text.Json;
using System.Text.RegularExpressions;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Shipping;

/// <summary>
/// deploy/grafana/relay-dashboard.json and deploy/prometheus/alerts.yml against the real server's /metrics: the
/// dashboard is valid Grafana JSON, every metric a panel or an alert queries exists, and every relay_* metric the
/// server exports is on the dashboard.
/// </summary>
public sealed partial class DashboardTests
{
    private static readonly HashSet<string> PromQlWords = new(StringComparer.Ordinal)
    {
        "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan",
    };

    /// <summary>Series Prometheus makes itself, not the server.</summary>
    private static readonly HashSet<string> PrometheusSeries = new(StringComparer.Ordinal) { "up" };

    [Fact]
    public void The_dashboard_is_grafana_json_with_unique_panels_on_the_datasource_variable_and_a_webhook_placeholder_row()
    {
        var dashboard = Dashboard();
        Assert.Equal("relay-overview", dashboard.GetProperty("uid").GetString());
        Assert.True(dashboard.GetProperty("schemaVersion").GetInt32() >= 36);
        var variables = dashboard.GetProperty("templating").GetProperty("list").EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!, v => v);
        Assert.Equal("datasource", variables["datasource"].GetProperty("type").GetString());
        Assert.Equal("prometheus", variables["datasource"].GetProperty("query").GetString());
        Assert.True(variables.ContainsKey("job") && variables.ContainsKey("instance"), "job and instance variables");

        var panels = dashboard.GetProperty("panels").EnumerateArray().ToList();
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        var cells = new HashSet<(int X, int Y)>();
        foreach (var panel in panels)
        {
            var title = panel.GetProperty("title").GetString();
            var grid = panel.GetProperty("gridPos");
            var (x, y, w, h) = (grid.GetProperty("x").GetInt32(), grid.GetProperty("y").GetInt32(), grid.GetProperty("w").GetInt32(), grid.GetProperty("h").GetInt32());
            Assert.True(x >= 0 && w > 0 && x + w <= 24, $"panel '{title}' is outside the 24 columns");
            for (var column = x; column < x + w; column++)
            {
                for (var row = y; row < y + h; row++)
                {
                    Assert.True(cells.Add((column, row)), $"panel '{title}' overlaps another at {column},{row}");
                }
            }

            if (panel.GetProperty("type").GetString() is "row" or "text")
            {
                continue;
            }

            Assert.Equal("${datasource}", panel.GetProperty("datasource").GetProperty("uid").GetString());
            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            Assert.True(targets.Count > 0, $"panel '{title}' has no query");
            Assert.All(targets, t => Assert.False(string.IsNullOrWhiteSpace(t.GetProperty("expr").GetString()), $"panel '{title}' has an empty query"));
        }

        var rows = panels.Where(p => p.GetProperty("type").GetString() == "row").Select(p => p.GetProperty("title").GetString()!).ToList();
        Assert.Contains("Webhook queue (placeholder)", rows);
        Assert.Contains(panels, p => p.GetProperty("type").GetString() == "text" && p.GetProperty("options").GetProperty("content").GetString()!.Contains("Placeholder", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_metric_the_dashboard_and_the_alerts_query_exists_and_every_relay_metric_is_on_the_dashboard()
    {
        await using var server = await RelayServer.StartAsync(("Relay:MaxConnections", "1234"));
        var text = await server.Http.GetStringAsync("/metrics");
        var exported = TypeLine().Matches(text).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("relay_connections", exported);
        // The gauges the alerts need beside the counters: readiness and the connection limit.
        Assert.Matches("(?m)^relay_ready 1$", text);
        Assert.Matches("(?m)^relay_max_connections 1234$", text);

        var dashboard = Dashboard();
        var dashboardQueries = dashboard.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!))
            .ToList();
        var dashboardMetrics = dashboardQueries.SelectMany(MetricNames).ToHashSet(StringComparer.Ordinal);
        foreach (var variable in dashboard.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (variable.GetProperty("type").GetString() == "query")
            {
                dashboardMetrics.Add(LabelValues().Match(variable.GetProperty("definition").GetString()!).Groups["metric"].Value);
            }
        }

        var alertMetrics = AlertExpression().Matches(Repository.Read("deploy", "prometheus", "alerts.yml"))
            .SelectMany(m => MetricNames(m.Groups["expr"].Value)).ToHashSet(StringComparer.Ordinal);
        Assert.True(alertMetrics.Count >= 5, $"alerts.yml queries {string.Join(", ", alertMetrics)}");

        var unknown = dashboardMetrics.Concat(alertMetrics).Where(m => !exported.Contains(m) && !PrometheusSeries.Contains(m)).Distinct().ToList();
        Assert.True(unknown.Count == 0, $"queried but not in the server's /metrics: {string.Join(", ", unknown)}");

        var missing = exported.Where(m => m.StartsWith("relay_", StringComparison.Ordinal) && !dashboardMetrics.Contains(m)).ToList();
        Assert.True(missing.Count == 0, $"relay metrics on no panel of deploy/grafana/relay-dashboard.json: {string.Join(", ", missing)}");
    }

    [Theory]
    [InlineData("""sum by (code) (rate(relay_errors_total{job=~"$job", instance=~"$instance"}[$__rate_interval])) > 0""", "relay_errors_total")]
    [InlineData("relay_ready == 0 or up{job=\"relay\"} == 0", "relay_ready up")]
    [InlineData("max(relay_connections{a=\"b\"} / relay_max_connections{a=\"b\"})", "relay_connections relay_max_connections")]
    [InlineData("sum by (instance, generation) (rate(dotnet_collection_count_total[5m]))", "dotnet_collection_count_total")]
    public void Metric_names_are_read_from_promql(string expression, string names) =>
        Assert.Equal(names.Split(' '), MetricNames(expression).Order(StringComparer.Ordinal));

    private static JsonElement Dashboard() =>
        JsonDocument.Parse(Repository.Read("deploy", "grafana", "relay-dashboard.json")).RootElement;

    /// <summary>The metric names of a PromQL expression: identifiers left once strings, label matchers, ranges, grouping clauses and calls are taken out.</summary>
    private static IEnumerable<string> MetricNames(string expression)
    {
        var bare = Grouping().Replace(Braces().Replace(Brackets().Replace(Strings().Replace(expression, " "), " "), " "), " ");
        return Identifier().Matches(bare).Select(m => m.Value).Where(name => !PromQlWords.Contains(name)).Distinct();
    }

    [GeneratedRegex("^# TYPE (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) ", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"label_values\((?<metric>[a-zA-Z_:][a-zA-Z0-9_:]*)")]
    private static partial Regex LabelValues();

    [GeneratedRegex(@"^\s*expr: (?<expr>.+)$", RegexOptions.Multiline)]
    private static partial Regex AlertExpression();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Brackets();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    /// <summary>An identifier that is not a function call (no `(` after it) nor a number.</summary>
    [GeneratedRegex(@"(?<![\w$.])[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()")]
    private static partial Regex Identifier();
}
