using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Shipping;

/// <summary>A temporary directory, deleted with everything in it on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory(string purpose)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"relay-{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Writes <paramref name="content"/> to <paramref name="relativePath"/> (directories created) and returns the full path.</summary>
    public string Write(string relativePath, string content)
    {
        var path = Combine(relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>What an external tool printed and how it exited.</summary>
internal sealed record ToolResult(string Command, int ExitCode, string Output, string Error)
{
    public override string ToString() => $"{Command} exited with {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>
/// Runs the real tools the shipped files are for (dotnet, npm, nginx, caddy, promtool, systemd-analyze) with a
/// bounded time and their output captured. A missing tool fails the test with how to install it: these tests are
/// never skipped (./test.sh installs what is missing).
/// </summary>
internal static class Tool
{
    private static readonly string[] SearchPath =
        [.. (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries), "/usr/sbin", "/sbin"];

    /// <summary>The full path of <paramref name="name"/>, or a failure naming the Debian package that has it.</summary>
    public static string Find(string name, string debianPackage)
    {
        foreach (var directory in SearchPath)
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"{name} is not installed: these tests run the real tool. Install it with `apt-get install {debianPackage}` (./test.sh does).");
    }

    /// <summary>Runs <paramref name="file"/> to its end; kills it (and its children) after <paramref name="timeout"/>.</summary>
    public static async Task<ToolResult> RunAsync(
        string file,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        TimeSpan? timeout = null)
    {
        var info = StartInfo(file, arguments, workingDirectory, environment);
        var command = $"{Path.GetFileName(file)} {string.Join(' ', info.ArgumentList)}";
        using var process = new Process { StartInfo = info };
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(error, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var limit = timeout ?? TimeSpan.FromMinutes(2);
        try
        {
            await process.WaitForExitAsync().WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"{command} did not finish within {limit.TotalSeconds} s\n--- stdout\n{output}\n--- stderr\n{error}");
        }

        // The exit is seen before the last output lines: the parameterless wait drains them.
        await process.WaitForExitAsync();
        return new ToolResult(command, process.ExitCode, output.ToString(), error.ToString());
    }

    /// <summary><see cref="RunAsync"/>, failing the test with the tool's output unless it exits with 0.</summary>
    public static async Task<ToolResult> RunCheckedAsync(
        string file,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        TimeSpan? timeout = null)
    {
        var result = await RunAsync(file, arguments, workingDirectory, environment, timeout);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    /// <summary>
    /// A start description with the test host's environment, less what `dotnet test` sets for itself (MSBuild and
    /// test-platform variables would steer a nested `dotnet` build), plus <paramref name="environment"/> (null removes).
    /// </summary>
    public static ProcessStartInfo StartInfo(
        string file,
        IEnumerable<string> arguments,
        string? workingDirectory,
        IReadOnlyDictionary<string, string?>? environment)
    {
        var info = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? Repository.Root,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var key in info.Environment.Keys.ToList())
        {
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("TESTINGPLATFORM", StringComparison.OrdinalIgnoreCase)
                || key is "DOTNET_HOST_PATH")
            {
                info.Environment.Remove(key);
            }
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        return info;
    }

    private static void Append(StringBuilder builder, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (builder)
        {
            builder.AppendLine(line);
        }
    }
}

/// <summary>
/// A long-running external process (nginx, caddy): output kept, killed with its children on dispose, and by a
/// <see cref="ProcessWatchdog"/> if the test host dies first.
/// </summary>
internal sealed class BackgroundProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private BackgroundProcess(Process process, string command)
    {
        _process = process;
        Command = command;
    }

    public string Command { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process printed so far (both streams), for failure messages.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>Starts <paramref name="file"/>; <paramref name="directory"/> is deleted by the watchdog if the test host dies.</summary>
    public static BackgroundProcess Start(
        string file,
        IEnumerable<string> arguments,
        string directory,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        // The watchdog deletes the directory: only ever a temporary one.
        if (!Path.GetFullPath(directory).StartsWith(Path.GetTempPath(), StringComparison.Ordinal))
        {
            throw new ArgumentException($"{directory} is not a temporary directory", nameof(directory));
        }

        var info = Tool.StartInfo(file, arguments, directory, environment);
        var process = new Process { StartInfo = info };
        var started = new BackgroundProcess(process, $"{Path.GetFileName(file)} {string.Join(' ', info.ArgumentList)}");
        process.OutputDataReceived += (_, e) => started.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => started.Remember(e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            process.Dispose();
            throw new InvalidOperationException($"cannot start {file}: {ex.Message}", ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        ProcessWatchdog.Watch(process.Id, directory);
        return started;
    }

    /// <summary>Waits (bounded) until 127.0.0.1:<paramref name="port"/> accepts connections; fails if the process exits first.</summary>
    public async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        try
        {
            await Eventually.TrueAsync(
                async () =>
                {
                    if (_process.HasExited)
                    {
                        throw new InvalidOperationException($"{Command} exited with {_process.ExitCode} before listening on {port}:\n{Output}");
                    }

                    try
                    {
                        using var client = new TcpClient();
                        using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                        await client.ConnectAsync(IPAddress.Loopback, port, attempt.Token);
                        return true;
                    }
                    catch (Exception ex) when (ex is SocketException or OperationCanceledException)
                    {
                        return false;
                    }
                },
                timeout,
                $"{Command} listening on {port}");
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            throw new TimeoutException($"{ex.Message}:\n{Output}", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 400 && _output.TryDequeue(out _))
        {
        }
    }
}
