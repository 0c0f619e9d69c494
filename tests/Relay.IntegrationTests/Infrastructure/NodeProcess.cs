using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>
/// One Relay node as a real operating-system process: <c>dotnet Relay.Api.dll</c> from this test's output directory
/// (the project reference puts it there, with its runtimeconfig and deps), configured on the command line exactly as
/// an operator would. Unlike an in-process <see cref="RelayServer"/> it can be killed (SIGKILL), frozen (SIGSTOP) and
/// asked to stop (SIGTERM), and its exit code is the verdict on "the node never stops itself".
/// </summary>
/// <remarks>
/// No node outlives the test run: <see cref="DisposeAsync"/> kills it, a process-exit hook kills any still running,
/// and a <see cref="ProcessWatchdog"/> kills it if the test host itself dies first. Its output (console log, one
/// line per event with a timestamp) is kept, the last lines of it, for failure messages and the test output.
/// </remarks>
public sealed class NodeProcess : IAsyncDisposable
{
    private const int KeptLines = 2000;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);
    private static readonly ConcurrentDictionary<NodeProcess, byte> Live = new();

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly Stopwatch _age = Stopwatch.StartNew();
    private volatile bool _exitExpected;
    private TimeSpan? _exitedAfter;

    static NodeProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    private NodeProcess(string nodeId, Uri baseAddress, Process process)
    {
        NodeId = nodeId;
        BaseAddress = baseAddress;
        WebSocketUri = new Uri($"ws://{baseAddress.Authority}/v1/websocket");
        _process = process;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(15) };
        Api = new RelayApi(Http);
    }

    /// <summary>The node's `Relay:Redis:NodeId`.</summary>
    public string NodeId { get; }

    public Uri BaseAddress { get; }

    public Uri WebSocketUri { get; }

    public HttpClient Http { get; }

    public RelayApi Api { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>True when the test ended the process itself (<see cref="KillAsync"/>, <see cref="TerminateAsync"/>, dispose).</summary>
    public bool ExitExpected => _exitExpected;

    /// <summary>True while the process is frozen by <see cref="PauseAsync"/>.</summary>
    public bool IsPaused { get; private set; }

    /// <summary>The exit code once the process has exited (137 after SIGKILL).</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>
    /// Starts a node and waits until it answers <c>/healthz</c>. <paramref name="settings"/> are `Relay:...` keys;
    /// <paramref name="listenAddress"/> and <paramref name="networkNamespace"/> place it elsewhere than 127.0.0.1.
    /// </summary>
    public static async Task<NodeProcess> StartAsync(
        string nodeId,
        IEnumerable<(string Key, string Value)> settings,
        string listenAddress = "127.0.0.1",
        string? networkNamespace = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var list = settings.ToList();
        Exception? last = null;

        // A free port can be taken by someone else between our probe and the node's bind: try a few.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var port = networkNamespace is null ? ProcessWatchdog.FreePort() : Random.Shared.Next(20000, 60000);
            var node = Launch(nodeId, list, new Uri($"http://{listenAddress}:{port.ToString(CultureInfo.InvariantCulture)}"), networkNamespace);
            try
            {
                await node.WaitHealthyAsync();
                return node;
            }
            catch (NodeStartException ex)
            {
                last = ex;
                await node.DisposeAsync();
            }
        }

        throw new InvalidOperationException($"node {nodeId} did not start after 5 attempts", last);
    }

    /// <summary>Throws, with the node's exit code and last log lines, when the process has exited.</summary>
    public void ThrowIfExited()
    {
        if (_process.HasExited)
        {
            throw new Xunit.Sdk.XunitException(ExitReport());
        }
    }

    /// <summary>"node-1 exited with code 1 12.3 s after it started; first error: ...; last lines: ..." (or "is running").</summary>
    public string ExitReport(int lines = 3)
    {
        if (!_process.HasExited)
        {
            return $"{NodeId} is running";
        }

        var when = _exitedAfter is { } after ? $" {after.TotalSeconds:F1} s after it started" : string.Empty;
        var firstError = _output.FirstOrDefault(l => l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal));
        return $"{NodeId} exited with code {_process.ExitCode}{when}; first error: {Shorten(firstError ?? "none logged")}; " +
            $"last lines: {string.Join(" | ", LogTail(lines).Select(Shorten))}";
    }

    /// <summary>A log line cut to a readable length.</summary>
    public static string Shorten(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return line.Length > 300 ? line[..300] + " ..." : line;
    }

    /// <summary>The last <paramref name="lines"/> lines of the node's console output.</summary>
    public IReadOnlyList<string> LogTail(int lines) => [.. _output.TakeLast(lines)];

    /// <summary>Every kept log line at Warning or above (the console formatter tags them warn/fail/crit).</summary>
    public IReadOnlyList<string> Problems() =>
        [.. _output.Where(l => l.Contains(" warn: ", StringComparison.Ordinal) || l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal))];

    /// <summary>Kills the node (SIGKILL: no shutdown at all, as a crash or an OOM kill) and waits until it has exited.</summary>
    public async Task KillAsync()
    {
        _exitExpected = true;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: false);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        await _process.WaitForExitAsync().WaitAsync(ExitTimeout);
        IsPaused = false;
    }

    /// <summary>Asks the node to stop (SIGTERM) and waits until it has; returns its exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        _exitExpected = true;
        if (IsPaused)
        {
            await ResumeAsync();
        }

        await ProcessSignals.TerminateAsync(_process.Id);
        await _process.WaitForExitAsync().WaitAsync(ExitTimeout);
        return _process.ExitCode;
    }

    /// <summary>Freezes the node (SIGSTOP): its sockets stay open and it neither reads nor writes nor heartbeats.</summary>
    public async Task PauseAsync()
    {
        ThrowIfExited();
        await ProcessSignals.StopAsync(_process.Id);
        IsPaused = true;
    }

    /// <summary>Lets a paused node run again (SIGCONT).</summary>
    public async Task ResumeAsync()
    {
        await ProcessSignals.ContinueAsync(_process.Id);
        IsPaused = false;
    }

    /// <summary>Opens a WebSocket to this node (no `connect` yet).</summary>
    public Task<TestClient> ConnectClientAsync() => TestClient.ConnectAsync(WebSocketUri);

    /// <summary>The status of GET <paramref name="path"/>, or null when no answer came within <paramref name="within"/>.</summary>
    public Task<(HttpStatusCode? Status, string Observed)> GetStatusAsync(string path, TimeSpan within)
    {
        ThrowIfExited();
        return ProbeAsync(path, within);
    }

    private async Task<(HttpStatusCode? Status, string Observed)> ProbeAsync(string path, TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        try
        {
            using var response = await Http.GetAsync(new Uri(path, UriKind.Relative), cts.Token);
            return (response.StatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cts.Token)}");
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            return (null, cts.IsCancellationRequested ? $"no answer within {within.TotalSeconds} s" : ex.Message);
        }
    }

    /// <summary>
    /// The value of a metric in /metrics (summed over its labels), or null when the node does not export it.
    /// </summary>
    public async Task<double?> MetricAsync(string name, TimeSpan? within = null)
    {
        ThrowIfExited();
        using var cts = new CancellationTokenSource(within ?? Http.Timeout);
        var text = await Http.GetStringAsync(new Uri("/metrics", UriKind.Relative), cts.Token);
        double? sum = null;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is ' ' or '{')
            {
                var value = line[(line.LastIndexOf(' ') + 1)..];
                sum = (sum ?? 0) + double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            await KillAsync();
        }
        catch (TimeoutException)
        {
        }

        Live.TryRemove(this, out _);
        _process.Dispose();
    }

    private static NodeProcess Launch(string nodeId, List<(string Key, string Value)> settings, Uri address, string? networkNamespace)
    {
        var directory = AppContext.BaseDirectory;
        var dll = Path.Combine(directory, "Relay.Api.dll");
        foreach (var required in new[] { dll, Path.Combine(directory, "Relay.Api.runtimeconfig.json"), Path.Combine(directory, "Relay.Api.deps.json") })
        {
            if (!File.Exists(required))
            {
                throw new InvalidOperationException(
                    $"{Path.GetFileName(required)} is not in the test output directory: the test project must reference src/Relay.Api");
            }
        }

        var dotnet = DotnetHost();
        var info = networkNamespace is null ? new ProcessStartInfo(dotnet) : new ProcessStartInfo("ip");
        if (networkNamespace is not null)
        {
            // `ip netns exec` enters the namespace and then execs the command: the process id stays the node's.
            foreach (var argument in new[] { "netns", "exec", networkNamespace, dotnet })
            {
                info.ArgumentList.Add(argument);
            }
        }

        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.WorkingDirectory = directory;

        // Only what the command line says: nothing inherited from the test host's environment configures the node.
        foreach (var key in info.Environment.Keys.Where(IsInheritedConfiguration).ToList())
        {
            info.Environment.Remove(key);
        }

        foreach (var argument in new[]
        {
            dll,
            $"--urls={address.GetLeftPart(UriPartial.Authority)}",
            "--environment=Production",
            $"--contentRoot={directory}",
            "--Relay:AllowAnonymousApi=true",
            $"--Relay:Redis:NodeId={nodeId}",
            "--Logging:Console:FormatterName=simple",
            "--Logging:Console:FormatterOptions:SingleLine=true",
            "--Logging:Console:FormatterOptions:TimestampFormat=HH:mm:ss.fff ",
            "--Logging:Console:FormatterOptions:ColorBehavior=Disabled",
        })
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in settings)
        {
            info.ArgumentList.Add($"--{key}={value}");
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("Process.Start returned null for the node");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"could not start {info.FileName}: {ex.Message}", ex);
        }

        var node = new NodeProcess(nodeId, address, process);
        Live.TryAdd(node, 0);
        ProcessWatchdog.Watch(process.Id);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => node._exitedAfter = node._age.Elapsed;
        process.OutputDataReceived += (_, e) => node.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => node.Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    private static bool IsInheritedConfiguration(string key) =>
        key.StartsWith("Relay__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
        || key.Equals("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase);

    /// <summary>The `dotnet` host that runs this test (the SDK sets DOTNET_HOST_PATH), else `dotnet` from PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        return Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    private static void KillAll()
    {
        foreach (var node in Live.Keys)
        {
            try
            {
                if (!node._process.HasExited)
                {
                    node._process.Kill(entireProcessTree: false);
                    node._process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    private async Task WaitHealthyAsync()
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new NodeStartException($"{NodeId} exited with {_process.ExitCode} while starting:\n{string.Join('\n', LogTail(30))}");
            }

            var (status, _) = await ProbeAsync("/healthz", TimeSpan.FromSeconds(2));
            if (status == HttpStatusCode.OK)
            {
                return;
            }

            if (watch.Elapsed > StartTimeout)
            {
                throw new InvalidOperationException(
                    $"{NodeId} did not answer /healthz within {StartTimeout.TotalSeconds} s:\n{string.Join('\n', LogTail(30))}");
            }

            // Polling while the node starts (not a synchronisation sleep).
            await Task.Delay(100);
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > KeptLines && _output.TryDequeue(out _))
        {
        }
    }

    private sealed class NodeStartException(string message) : Exception(message);
}
