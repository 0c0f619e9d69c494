using System.Diagnostics;
using System.Globalization;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Chaos;

/// <summary>A <see cref="FactAttribute"/> that skips, saying why, on a machine that cannot make network namespaces.</summary>
public sealed class NetworkNamespaceFactAttribute : FactAttribute
{
    public NetworkNamespaceFactAttribute()
    {
        if (NetworkLab.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>
/// Network namespaces on this machine, one per node, each joined to the root namespace by two veth pairs: a
/// <em>test link</em> (the test's HTTP and WebSocket traffic to the node) and a <em>Redis link</em> (the node's only
/// way to Redis, which listens on the root side). Taking the root end of a Redis link down is a real partition: the
/// node's packets to Redis vanish (no reset, no error: a black hole) while the test still reaches the node. Bounded in
/// count (two per test) and always removed: on dispose, and by a watchdog if the test host dies first.
/// </summary>
internal sealed class NetworkLab : IAsyncDisposable
{
    private const string ProbeName = "relay-netns-probe";
    private static readonly Lazy<string?> Probe = new(ProbeNow);

    private readonly List<string> _namespaces = [];
    private readonly string _tag;
    private readonly int _subnet;
    private int _next;

    private NetworkLab(string tag, int subnet)
    {
        _tag = tag;
        _subnet = subnet;
    }

    /// <summary>Why this machine cannot run the namespace tests, or null when it can (checked once, by trying).</summary>
    public static string? Unavailable => Probe.Value;

    /// <summary>A lab with a /24 of 10.x.y.0 that no interface of this machine uses.</summary>
    public static async Task<NetworkLab> CreateAsync()
    {
        var used = (await RunAsync("ip", "-4", "-o", "addr", "show")).Output + (await RunAsync("ip", "-4", "route", "show")).Output;
        var seed = Environment.ProcessId;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var subnet = (200 + ((seed + attempt) % 50)) * 256 + ((seed / 50) + attempt) % 250;
            if (!used.Contains($"10.{subnet / 256}.{subnet % 256}.", StringComparison.Ordinal))
            {
                return new NetworkLab((seed % 100000).ToString("D5", CultureInfo.InvariantCulture), subnet);
            }
        }

        throw new InvalidOperationException("no free 10.x.y.0/24 for the network namespaces");
    }

    /// <summary>
    /// Makes a namespace and its two links. Returns the node's addresses: where the test reaches it, where it reaches
    /// Redis (the root side of its Redis link: redis must listen there) and the interface that cuts it off.
    /// </summary>
    public async Task<NamespaceLinks> AddNamespaceAsync()
    {
        var index = _next++;
        var name = $"relay-chaos-{_tag}-{index}";
        await MustAsync("ip", "netns", "add", name);
        _namespaces.Add(name);
        ProcessWatchdog.WatchNamespace(name);
        await MustAsync("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");
        var test = await AddLinkAsync(name, $"rc{_tag}{index}t", (index * 8) + 1);
        var redis = await AddLinkAsync(name, $"rc{_tag}{index}r", (index * 8) + 5);
        return new NamespaceLinks(name, test.Inside, redis.Outside, redis.RootInterface);
    }

    /// <summary>Takes <paramref name="rootInterface"/> down (partition) or up (healed).</summary>
    public static Task SetLinkAsync(string rootInterface, bool up) => MustAsync("ip", "link", "set", rootInterface, up ? "up" : "down");

    public async ValueTask DisposeAsync()
    {
        foreach (var name in _namespaces)
        {
            // Deleting the namespace deletes its ends of the veth pairs, and with them the root ends.
            await RunAsync("ip", "netns", "del", name);
        }
    }

    private async Task<(string Inside, string Outside, string RootInterface)> AddLinkAsync(string ns, string prefix, int host)
    {
        var (root, inside) = ($"{prefix}0", $"{prefix}1");
        var outsideAddress = Address(host);
        var insideAddress = Address(host + 1);
        await MustAsync("ip", "link", "add", root, "type", "veth", "peer", "name", inside);
        await MustAsync("ip", "link", "set", inside, "netns", ns);
        await MustAsync("ip", "addr", "add", $"{outsideAddress}/30", "dev", root);
        await MustAsync("ip", "link", "set", root, "up");
        await MustAsync("ip", "netns", "exec", ns, "ip", "addr", "add", $"{insideAddress}/30", "dev", inside);
        await MustAsync("ip", "netns", "exec", ns, "ip", "link", "set", inside, "up");
        return (insideAddress, outsideAddress, root);
    }

    private string Address(int host) => $"10.{_subnet / 256}.{_subnet % 256}.{host}";

    private static string? ProbeNow()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces need Linux";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return "network namespaces need root (CAP_NET_ADMIN and CAP_SYS_ADMIN)";
        }

        try
        {
            var name = $"{ProbeName}-{Environment.ProcessId}";
            var (code, output) = RunAsync("ip", "netns", "add", name).GetAwaiter().GetResult();
            if (code != 0)
            {
                return $"this machine cannot create network namespaces (`ip netns add`: {output.Trim()})";
            }

            var veth = $"rcprobe{Environment.ProcessId % 100000}";
            (code, output) = RunAsync("ip", "link", "add", veth, "type", "veth", "peer", "name", veth + "p", "netns", name).GetAwaiter().GetResult();
            RunAsync("ip", "netns", "del", name).GetAwaiter().GetResult();
            RunAsync("ip", "link", "del", veth).GetAwaiter().GetResult();
            return code == 0 ? null : $"this machine cannot create veth pairs (`ip link add type veth`: {output.Trim()})";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "the `ip` command (iproute2) is not installed";
        }
    }

    private static async Task MustAsync(params string[] command)
    {
        var (code, output) = await RunAsync(command);
        if (code != 0)
        {
            throw new InvalidOperationException($"`{string.Join(' ', command)}` failed ({code}): {output.Trim()}");
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] command)
    {
        var info = new ProcessStartInfo(command[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {command[0]}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        return (process.ExitCode, await stdout + await stderr);
    }
}

/// <summary>One namespace of a <see cref="NetworkLab"/>.</summary>
/// <param name="Name">The namespace (`ip netns exec` it).</param>
/// <param name="NodeAddress">The node's address on its test link (it listens there; the test connects there).</param>
/// <param name="RedisAddress">The root side of its Redis link: where redis listens for this node.</param>
/// <param name="RedisLink">The root-side interface of the Redis link: down is a partition.</param>
internal sealed record NamespaceLinks(string Name, string NodeAddress, string RedisAddress, string RedisLink);
