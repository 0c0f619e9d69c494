using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Shipping;

/// <summary>deploy/systemd/relay.service checked by systemd's own tools (offline: no systemd runs in this container).</summary>
public sealed class SystemdUnitTests
{
    [Fact]
    public async Task The_unit_verifies_cleanly_and_its_hardening_rates_ok()
    {
        var analyze = Tool.Find("systemd-analyze", "systemd");
        using var temp = new TempDirectory("systemd");
        var unit = temp.Write("relay.service", Repository.Read("deploy", "systemd", "relay.service"));

        // verify: exit 0 and not a word on stderr (unknown keys and bad values are only warned about).
        var verify = await Tool.RunAsync(analyze, ["verify", unit], temp.Path);
        Assert.True(verify.ExitCode == 0 && verify.Error.Trim().Length == 0 && verify.Output.Trim().Length == 0, verify.ToString());

        // security: systemd's exposure score of the unit's sandboxing, 0 (locked down) to 10 (none); "OK" is below 4.
        var security = await Tool.RunCheckedAsync(analyze, ["security", "--offline=yes", "--no-pager", unit], temp.Path);
        var verdict = security.Output.Split('\n').Single(l => l.Contains("Overall exposure level", StringComparison.Ordinal));
        var score = double.Parse(verdict.Split(':')[1].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(score <= 2.0, $"exposure {score} (expected at most 2.0): {verdict}");

        foreach (var directive in new[]
        {
            "DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "Restart=on-failure", "PrivateTmp=yes",
            "CapabilityBoundingSet=\n", "KillSignal=SIGTERM", "TimeoutStopSec=20s", "WorkingDirectory=/opt/relay",
        })
        {
            Assert.Contains(directive, File.ReadAllText(unit), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_misspelt_directive_fails_the_verification()
    {
        var analyze = Tool.Find("systemd-analyze", "systemd");
        using var temp = new TempDirectory("systemd-bad");
        var unit = temp.Write("relay.service", Repository.Read("deploy", "systemd", "relay.service").Replace("NoNewPrivileges=yes", "NoNewPrivilege=yes", StringComparison.Ordinal));
        var verify = await Tool.RunAsync(analyze, ["verify", unit], temp.Path);
        Assert.Contains("Unknown key 'NoNewPrivilege'", verify.Error, StringComparison.Ordinal);
    }
}
