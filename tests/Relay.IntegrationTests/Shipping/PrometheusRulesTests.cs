using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Shipping;

/// <summary>deploy/prometheus: the alert rules and the scrape config, by Prometheus' own promtool.</summary>
public sealed class PrometheusRulesTests
{
    private static string Promtool => Tool.Find("promtool", "prometheus");

    [Fact]
    public async Task The_rules_and_the_config_check_and_the_rule_tests_fire_and_do_not_fire_each_alert()
    {
        var directory = Repository.PathOf("deploy", "prometheus");
        var rules = await Tool.RunCheckedAsync(Promtool, ["check", "rules", "alerts.yml"], directory);
        Assert.Contains("SUCCESS: 4 rules found", rules.Output, StringComparison.Ordinal);
        await Tool.RunCheckedAsync(Promtool, ["check", "config", "prometheus.yml"], directory);
        var tests = await Tool.RunCheckedAsync(Promtool, ["test", "rules", "alerts.test.yml"], directory);
        Assert.Contains("SUCCESS", tests.Output, StringComparison.Ordinal);

        // Every alert is under test.
        var tested = Repository.Read("deploy", "prometheus", "alerts.test.yml");
        foreach (var alert in new[] { "RelayNodeNotReady", "RelayRedisUnavailable", "RelayDropsRising", "RelayConnectionLimitNear" })
        {
            Assert.Contains($"alert: {alert}", Repository.Read("deploy", "prometheus", "alerts.yml"), StringComparison.Ordinal);
            Assert.Contains($"alertname: {alert}", tested, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_rule_test_whose_series_no_longer_fire_fails()
    {
        using var temp = new TempDirectory("promtool");
        File.Copy(Repository.PathOf("deploy", "prometheus", "alerts.yml"), temp.Combine("alerts.yml"));
        // The node that drops 10 frames a second now drops 0.5: the expected alert does not fire.
        var tests = Repository.Read("deploy", "prometheus", "alerts.test.yml");
        Assert.Contains("values: '0+600x30'", tests, StringComparison.Ordinal);
        temp.Write("alerts.test.yml", tests.Replace("values: '0+600x30'", "values: '0+30x30'", StringComparison.Ordinal));

        var result = await Tool.RunAsync(Promtool, ["test", "rules", "alerts.test.yml"], temp.Path);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("alertname: RelayDropsRising", result.Output + result.Error, StringComparison.Ordinal);
    }
}
