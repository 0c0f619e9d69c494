using System.Diagnostics;
using System.Globalization;

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
