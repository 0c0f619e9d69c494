using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>
/// A small shell loop started next to each process a test launches: if the test host dies (a hang timeout, Ctrl+C)
/// before the test could clean up, it kills the process and removes what it leaves behind, so that nothing outlives
/// the test run. It exits on its own as soon as the watched process has.
/// </summary>
public static class ProcessWatchdog
{
    /// <summary>Kills <paramref name="pid"/> (SIGKILL, which also ends a stopped process) and deletes <paramref name="directory"/> if the test host dies first.</summary>
    public static void Watch(int pid, string? directory = null) =>
        Start(
            "while kill -0 \"$1\" 2>/dev/null; do kill -0 \"$2\" 2>/dev/null || exit 0; sleep 1; done; " +
            "kill -9 \"$2\" 2>/dev/null; sleep 1; [ -n \"$3\" ] && rm -rf -- \"$3\"; exit 0",
            pid.ToString(CultureInfo.InvariantCulture),
            directory ?? string.Empty);

    /// <summary>Deletes network namespace <paramref name="name"/> (and with it its interfaces) if the test host dies while it exists.</summary>
    public static void WatchNamespace(string name) =>
        Start(
            "while kill -0 \"$1\" 2>/dev/null; do [ -e \"/run/netns/$2\" ] || exit 0; sleep 1; done; " +
            "ip netns pids \"$2\" 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del \"$2\" 2>/dev/null; exit 0",
            name,
            string.Empty);

    private static void Start(string script, string target, string extra)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        info.ArgumentList.Add("relay-test-watchdog");
        info.ArgumentList.Add(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(target);
        info.ArgumentList.Add(extra);
        try
        {
            using var watchdog = Process.Start(info);
        }
        catch (Win32Exception)
        {
            // No /bin/sh: the dispose and process-exit hooks still apply.
        }
    }

    /// <summary>A loopback port nobody listens on right now (another process may take it before we bind: retry then).</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
