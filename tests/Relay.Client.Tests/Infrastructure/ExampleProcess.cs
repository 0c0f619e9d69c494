using System.Collections.Concurrent;
using System.Diagnostics;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.Client.Tests.Infrastructure;

/// <summary>
/// An example that keeps running (examples/WebhookReceiver) as a real process, `dotnet &lt;example&gt;.dll` built beside
/// the tests: its output lines as they come, with bounded waits for them. Killed on dispose, and by a
/// <see cref="ProcessWatchdog"/> if the test host dies first.
/// </summary>
public sealed class ExampleProcess : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly SemaphoreSlim _changed = new(0, int.MaxValue);

    private ExampleProcess(Process process) => _process = process;

    /// <summary>Standard output, line by line, so far.</summary>
    public IReadOnlyList<string> Output => [.. _output];

    /// <summary>Standard error, line by line, so far.</summary>
    public IReadOnlyList<string> Errors => [.. _errors];

    /// <summary>How to run <paramref name="example"/> with <paramref name="arguments"/>, every stream redirected, none of the examples' environment variables set.</summary>
    public static ProcessStartInfo StartInfo(string example, IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, example + ".dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("RELAY_API_KEY");
        start.Environment.Remove("WEBHOOK_SECRET");
        return start;
    }

    public static ExampleProcess Start(string example, params string[] arguments)
    {
        var process = new Process { StartInfo = StartInfo(example, arguments), EnableRaisingEvents = true };
        var started = new ExampleProcess(process);
        process.OutputDataReceived += (_, e) => started.Add(started._output, e.Data);
        process.ErrorDataReceived += (_, e) => started.Add(started._errors, e.Data);
        process.Exited += (_, _) => started._changed.Release();
        process.Start();
        ProcessWatchdog.Watch(process.Id);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Waits (bounded) for a line of standard output that satisfies <paramref name="match"/>; fails with the output so far.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, string what)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (_output.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            var left = Bound - watch.Elapsed;
            if (_process.HasExited || left <= TimeSpan.Zero)
            {
                throw new Xunit.Sdk.XunitException(
                    $"{what}: not printed{(_process.HasExited ? $"; the example exited with code {_process.ExitCode}" : $" within {Bound.TotalSeconds} s")}{Environment.NewLine}{this}");
            }

            await _changed.WaitAsync(left);
        }
    }

    public override string ToString() =>
        $"stdout:{Environment.NewLine}{string.Join(Environment.NewLine, _output)}{Environment.NewLine}stderr:{Environment.NewLine}{string.Join(Environment.NewLine, _errors)}";

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        await _process.WaitForExitAsync().WaitAsync(Bound);
        _process.Dispose();
        _changed.Dispose();
    }

    private void Add(ConcurrentQueue<string> lines, string? line)
    {
        if (line is not null)
        {
            lines.Enqueue(line);
            _changed.Release();
        }
    }
}
