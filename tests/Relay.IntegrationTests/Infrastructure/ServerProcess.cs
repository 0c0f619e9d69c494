using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>
/// The real server as an operator runs it: `dotnet Relay.Api.dll` (the build this test project references) in a
/// process of its own, with its own content root (an empty directory, or one holding the given
/// `appsettings.json`), command-line arguments and environment variables. Standard output and error are
/// captured; every wait is bounded.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    /// <summary>Starting and stopping a .NET process on a loaded 2-core machine can take a while.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _contentRoot;

    private ServerProcess(Process process, string contentRoot)
    {
        _process = process;
        _contentRoot = contentRoot;
        process.OutputDataReceived += (_, e) => OnLine(e.Data, _stdout, _stdoutClosed);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, _stderr, _stderrClosed);
    }

    /// <summary>Everything the server wrote to standard output so far.</summary>
    public string Output => string.Join('\n', _stdout);

    /// <summary>Everything the server wrote to standard error so far.</summary>
    public string Error => string.Join('\n', _stderr);

    /// <summary>
    /// Starts the server on 127.0.0.1 and a free port in the `Production` environment unless
    /// <paramref name="arguments"/> say otherwise. <paramref name="appsettings"/> is written to the content root as
    /// `appsettings.json`; <paramref name="environment"/> is added to the process's environment.
    /// </summary>
    public static ServerProcess Start(
        IEnumerable<string>? arguments = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? appsettings = null) =>
        Start([Path.Combine(AppContext.BaseDirectory, "Relay.Api.dll")], arguments, environment, appsettings);

    /// <summary>
    /// Starts the server as the README's recipes do, `dotnet run --project src/Relay.Api --no-launch-profile`
    /// (without building: the build this test project triggered is used); the process is `dotnet run`'s.
    /// </summary>
    public static ServerProcess StartWithDotnetRun(IEnumerable<string>? arguments = null) =>
        Start(["run", "--project", Repository.PathOf("src", "Relay.Api"), "--no-build", "--no-launch-profile", "--"], arguments, null, null);

    private static ServerProcess Start(
        string[] launcher,
        IEnumerable<string>? arguments,
        IReadOnlyDictionary<string, string>? environment,
        string? appsettings)
    {
        var contentRoot = Directory.CreateTempSubdirectory("relay-server-").FullName;
        if (appsettings is not null)
        {
            File.WriteAllText(Path.Combine(contentRoot, "appsettings.json"), appsettings);
        }

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = contentRoot,
        };
        foreach (var part in launcher)
        {
            start.ArgumentList.Add(part);
        }

        start.ArgumentList.Add("--urls=http://127.0.0.1:0");
        start.ArgumentList.Add($"--contentRoot={contentRoot}");
        start.ArgumentList.Add("--environment=Production");
        foreach (var argument in arguments ?? [])
        {
            start.ArgumentList.Add(argument);
        }

        // Nothing of the test runner's own configuration leaks into the server.
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("Relay__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || k.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(inherited);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new ServerProcess(process, contentRoot);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return server;
    }

    /// <summary>Waits until the server listens and returns its address; fails if it exits first.</summary>
    public async Task<Uri> WaitUntilListeningAsync()
    {
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(_listening.Task, exited).WaitAsync(Bound);
        if (first != _listening.Task)
        {
            await AllOutputAsync();
            Assert.Fail($"the server exited with {_process.ExitCode} before listening.\nstdout:\n{Output}\nstderr:\n{Error}");
        }

        return await _listening.Task;
    }

    /// <summary>Waits for the process to exit (all of its output read) and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(Bound);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the server did not exit within {Bound.TotalSeconds} s.\nstdout:\n{Output}\nstderr:\n{Error}");
        }

        await AllOutputAsync();
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as systemd, Docker or Kubernetes stop a service.</summary>
    public async Task TerminateAsync()
    {
        // The shell's own `kill`: no package (procps) needed.
        using var kill = Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", $"kill -TERM {_process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)}" } })!;
        await kill.WaitForExitAsync().WaitAsync(Bound);
        Assert.True(kill.ExitCode == 0, $"kill -TERM {_process.Id} failed with {kill.ExitCode}");
    }

    /// <summary>How many lines of standard output contain <paramref name="text"/>.</summary>
    public int CountOutputLines(string text) => _stdout.Count(line => line.Contains(text, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(Bound);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_contentRoot, recursive: true);
        }
        catch (IOException)
        {
            // A temporary directory left behind is harmless.
        }
    }

    private Task AllOutputAsync() => Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(Bound);

    private void OnLine(string? line, ConcurrentQueue<string> lines, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        lines.Enqueue(line);
        if (ListeningPattern().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult(new Uri(match.Groups["address"].Value));
        }
    }

    [GeneratedRegex(@"Now listening on: (?<address>http://\S+)", RegexOptions.CultureInvariant)]
    private static partial Regex ListeningPattern();
}
