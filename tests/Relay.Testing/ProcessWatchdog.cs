using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>Helpers for the external processes tests start (redis-server, nginx, caddy, ...).</summary>
public static class ProcessWatchdog
{
    /// <summary>
    /// Starts a small shell loop that kills process <paramref name="pid"/> (SIGKILL) and deletes
    /// <paramref name="directory"/> if this test host dies first (a hang timeout, Ctrl+C), before its dispose and
    /// process-exit hooks could run; it exits as soon as the process has.
    /// </summary>
    public static void Start(int pid, string directory)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(
            "while kill -0 \"$1\" 2>/dev/null; do kill -0 \"$2\" 2>/dev/null || exit 0; sleep 1; done; " +
            "kill -9 \"$2\" 2>/dev/null; sleep 1; rm -rf -- \"$3\"; exit 0");
        info.ArgumentList.Add("relay-test-watchdog");
        info.ArgumentList.Add(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(directory);
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
