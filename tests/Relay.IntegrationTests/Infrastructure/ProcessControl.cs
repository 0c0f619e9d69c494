using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>
/// POSIX signals for processes the tests start (SIGSTOP, SIGCONT, SIGTERM; SIGKILL is <see cref="Process.Kill()"/>)
/// and the state the kernel reports for them. Signals go through the shell's `kill`, so no native interop is needed.
/// </summary>
public static class ProcessSignals
{
    private static readonly TimeSpan StateTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Freezes <paramref name="pid"/> (SIGSTOP) and waits until the kernel reports it stopped.</summary>
    public static async Task StopAsync(int pid)
    {
        await SendAsync(pid, "STOP");
        await WaitForStateAsync(pid, state => state is 'T' or 't', "stopped");
    }

    /// <summary>Lets a stopped <paramref name="pid"/> run again (SIGCONT) and waits until it is no longer stopped.</summary>
    public static async Task ContinueAsync(int pid)
    {
        await SendAsync(pid, "CONT");
        await WaitForStateAsync(pid, state => state is not ('T' or 't'), "running");
    }

    /// <summary>Asks <paramref name="pid"/> to shut down (SIGTERM), as an orchestrator would.</summary>
    public static Task TerminateAsync(int pid) => SendAsync(pid, "TERM");

    /// <summary>The process state letter of /proc/&lt;pid&gt;/stat (R, S, D, T, Z, ...), or null once it is gone.</summary>
    public static char? StateOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // "pid (comm) S ...": comm may contain spaces and parentheses, so look after the last ')'.
            var end = stat.LastIndexOf(')');
            return end >= 0 && end + 2 < stat.Length ? stat[end + 2] : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static async Task SendAsync(int pid, string signal)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("kill -s \"$1\" \"$2\"");
        info.ArgumentList.Add("relay-test-kill");
        info.ArgumentList.Add(signal);
        info.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        using var kill = Process.Start(info) ?? throw new InvalidOperationException("could not start /bin/sh for kill");
        var stderr = kill.StandardError.ReadToEndAsync();
        await kill.WaitForExitAsync().WaitAsync(StateTimeout);
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -s {signal} {pid} failed ({kill.ExitCode}): {await stderr}");
        }
    }

    private static async Task WaitForStateAsync(int pid, Func<char, bool> reached, string what)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var state = StateOf(pid);
            if (state is { } s && reached(s))
            {
                return;
            }

            if (state is null or 'Z' || watch.Elapsed > StateTimeout)
            {
                throw new InvalidOperationException($"process {pid} did not become {what} (state {state?.ToString() ?? "gone"})");
            }

            // Polling the kernel's view of the process (not a synchronisation sleep).
            await Task.Delay(10);
        }
    }
}

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
}

/// <summary>Free TCP ports on 127.0.0.1 for the processes a test starts.</summary>
public static class LocalPorts
{
    /// <summary>A port nobody listens on right now (someone may take it before the caller binds it: retry then).</summary>
    public static int Free()
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
