using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>What a <see cref="RedisServer"/> of its own is started with.</summary>
/// <param name="DebugCommand">Starts redis with <c>--enable-debug-command local</c>, so that <c>DEBUG SLEEP</c> can stall it.</param>
/// <param name="ExtraBindAddresses">Addresses to listen on besides 127.0.0.1 (they must exist when redis starts).</param>
/// <param name="Durable">
/// Keeps every acknowledged write on disk (AOF, <c>appendfsync always</c>), so that a restart after kill -9 has them.
/// The shared server is not durable: nothing restarts it, and an fsync per write on a slow CI disk stalls it past the
/// nodes' 1.5 s budget under a flood (503s and `unavailable` in tests that are not about Redis failing).
/// </param>
public sealed record RedisServerOptions(bool DebugCommand = false, IReadOnlyList<string>? ExtraBindAddresses = null, bool Durable = true);

/// <summary>
/// A real <c>redis-server</c> (from PATH) on 127.0.0.1 and a free port, with its data in a temporary directory
/// (AOF with <c>appendfsync always</c>, so a <see cref="StopAsync">kill -9</see> followed by
/// <see cref="RestartAsync"/> keeps every acknowledged write; in memory only for the shared one). The cluster tests share <see cref="SharedAsync"/>,
/// separating their state by key prefix; a test that takes Redis down starts its own with <see cref="StartAsync"/>.
/// The chaos tests also freeze it (<see cref="PauseAsync"/>), restart it empty (<see cref="RestartEmptyAsync"/>) and
/// send it commands of their own (<see cref="CommandAsync(string[])"/>) on short-lived connections that are never
/// subscribers, so that they survive every fault they inject.
/// </summary>
/// <remarks>
/// No redis-server outlives the test run: <see cref="DisposeAsync"/> kills it, a process-exit hook kills any
/// still running, and a <see cref="ProcessWatchdog"/> started next to each one kills it if the test host itself is
/// killed (a hang timeout, Ctrl+C) before either could run.
/// </remarks>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private static readonly ConcurrentDictionary<RedisServer, byte> Live = new();
    private static readonly Lazy<Task<RedisServer>> Shared = new(() => StartAsync(new RedisServerOptions(Durable: false)), LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly ConcurrentQueue<string> _output = new();
    private readonly RedisServerOptions _options;
    private Process? _process;
    private bool _disposed;

    static RedisServer() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    private RedisServer(int port, string directory, RedisServerOptions options)
    {
        Port = port;
        Directory = directory;
        _options = options;
    }

    public int Port { get; private set; }

    /// <summary>The data directory (deleted on dispose).</summary>
    public string Directory { get; }

    /// <summary>A StackExchange.Redis connection string for this server, with short timeouts and no abort on connect failure.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},connectTimeout=2000,asyncTimeout=2000,abortConnect=false";

    /// <summary>True while the process runs (between a start and <see cref="StopAsync"/>).</summary>
    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _process is { HasExited: false };
            }
        }
    }

    /// <summary>True while the process is frozen by <see cref="PauseAsync"/>.</summary>
    public bool IsPaused { get; private set; }

    /// <summary>The server shared by every test of the assembly that does not take Redis down; started on first use.</summary>
    public static Task<RedisServer> SharedAsync() => Shared.Value;

    /// <summary>Starts a new redis-server on a free port; fails the test loudly when redis-server is not installed.</summary>
    public static async Task<RedisServer> StartAsync(RedisServerOptions? options = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"relay-redis-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        var server = new RedisServer(0, directory, options ?? new RedisServerOptions());
        Live.TryAdd(server, 0);
        try
        {
            // A free port can be taken by someone else between our probe and redis's bind: try a few.
            Exception? last = null;
            for (var attempt = 0; attempt < 5; attempt++)
            {
                server.Port = ProcessWatchdog.FreePort();
                try
                {
                    await server.LaunchAsync();
                    return server;
                }
                catch (RedisStartException ex)
                {
                    last = ex;
                }
            }

            throw new InvalidOperationException("redis-server did not start after 5 attempts", last);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the process with SIGKILL (an outage: no shutdown, no final save) and waits until it has exited.</summary>
    public async Task StopAsync()
    {
        Process? process;
        lock (_gate)
        {
            process = _process;
            _process = null;
            IsPaused = false;
        }

        if (process is null)
        {
            return;
        }

        await KillAsync(process);
    }

    /// <summary>Starts redis-server again on the same port and directory; the AOF brings the data back.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await LaunchAsync();
    }

    /// <summary>Kills redis-server, deletes its data (the AOF) and starts it again on the same port: every key is gone.</summary>
    public async Task RestartEmptyAsync()
    {
        await StopAsync();
        DeleteDirectory();
        System.IO.Directory.CreateDirectory(Directory);
        await LaunchAsync();
    }

    /// <summary>Freezes redis-server (SIGSTOP): its sockets stay open and nothing answers, like a stalled or black-holed server.</summary>
    public async Task PauseAsync()
    {
        await ProcessSignals.StopAsync(RunningProcess().Id);
        IsPaused = true;
    }

    /// <summary>Lets a paused redis-server run again (SIGCONT).</summary>
    public async Task ResumeAsync()
    {
        await ProcessSignals.ContinueAsync(RunningProcess().Id);
        IsPaused = false;
    }

    /// <summary>Sends one command on a connection of its own and returns the reply (see <see cref="CommandAsync(TimeSpan, string[])"/>).</summary>
    public Task<object?> CommandAsync(params string[] arguments) => CommandAsync(CommandTimeout, arguments);

    /// <summary>
    /// Sends one command on a new connection and returns the reply: a string (simple or bulk), a long, an
    /// <c>object?[]</c> (array) or null (nil). An error reply throws <see cref="InvalidOperationException"/>; no reply
    /// within <paramref name="timeout"/> throws <see cref="TimeoutException"/>.
    /// </summary>
    public async Task<object?> CommandAsync(TimeSpan timeout, params string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), cts.Token);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var request = new StringBuilder().Append('*').Append(arguments.Length).Append("\r\n");
            foreach (var argument in arguments)
            {
                request.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n").Append(argument).Append("\r\n");
            }

            await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cts.Token);
            return await new RespReader(stream).ReadAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"redis on port {Port} did not answer {string.Join(' ', arguments.Take(2))} within {timeout.TotalSeconds} s");
        }
    }

    /// <summary>Disconnects every pub/sub client (<c>CLIENT KILL TYPE pubsub</c>); returns how many.</summary>
    public async Task<long> KillPubSubClientsAsync() => (long)(await CommandAsync("CLIENT", "KILL", "TYPE", "pubsub"))!;

    /// <summary>Sets the pub/sub class of <c>client-output-buffer-limit</c> (sizes as redis takes them: "1mb", "512kb").</summary>
    public Task SetPubSubOutputBufferLimitAsync(string hard, string soft, int seconds) =>
        CommandAsync("CONFIG", "SET", "client-output-buffer-limit", $"pubsub {hard} {soft} {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

    /// <summary>Calls per command from <c>INFO commandstats</c> (e.g. "publish" → 12); commands never called are absent.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CommandCallsAsync()
    {
        var info = (string)(await CommandAsync("INFO", "commandstats"))!;
        var calls = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in info.Split('\n', StringSplitOptions.TrimEntries))
        {
            // cmdstat_publish:calls=12,usec=...
            if (line.StartsWith("cmdstat_", StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
            {
                var fields = line[(colon + 1)..].Split(',');
                var value = fields.First(f => f.StartsWith("calls=", StringComparison.Ordinal))["calls=".Length..];
                calls[line["cmdstat_".Length..colon]] = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return calls;
    }

    /// <summary>Every key matching <paramref name="pattern"/> (SCAN, so it never blocks redis).</summary>
    public async Task<IReadOnlyList<string>> KeysAsync(string pattern)
    {
        var keys = new List<string>();
        var cursor = "0";
        do
        {
            var reply = (object?[])(await CommandAsync("SCAN", cursor, "MATCH", pattern, "COUNT", "1000"))!;
            cursor = (string)reply[0]!;
            keys.AddRange(((object?[])reply[1]!).Select(k => (string)k!));
        }
        while (cursor != "0");

        return keys;
    }

    /// <summary>The last lines redis-server wrote (its log: it logs to stdout).</summary>
    public IReadOnlyList<string> OutputLines() => [.. _output];

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        await StopAsync();
        Live.TryRemove(this, out _);
        DeleteDirectory();
    }

    private async Task LaunchAsync()
    {
        var info = new ProcessStartInfo("redis-server")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Directory,
        };
        string[] addresses = ["127.0.0.1", .. _options.ExtraBindAddresses ?? []];
        string[] debug = _options.DebugCommand ? ["--enable-debug-command", "local"] : [];
        string[] arguments =
        [
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", string.Join(' ', addresses),
            "--save", string.Empty,
            .. (_options.Durable ? (string[])["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
            "--dir", Directory,
            "--daemonize", "no",
            "--protected-mode", "no",
            .. debug,
        ];
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("Process.Start returned null for redis-server");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                "redis-server is not installed or not on PATH. The cluster tests need a real redis-server: install it " +
                "(Debian/Ubuntu: `apt-get install redis-server`; ./test.sh does this when it is missing). " +
                "These tests are never skipped.",
                ex);
        }

        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (_gate)
        {
            _process = process;
        }

        ProcessWatchdog.Watch(process.Id, Directory);

        try
        {
            await Eventually.TrueAsync(
                async () =>
                {
                    if (process.HasExited)
                    {
                        lock (_gate)
                        {
                            _process = null;
                        }

                        throw new RedisStartException($"redis-server exited with {process.ExitCode} on port {Port}:\n{Output()}");
                    }

                    return await PingAsync(CancellationToken.None);
                },
                StartTimeout,
                $"redis-server on port {Port} answering PING");
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            await StopAsync();
            throw new InvalidOperationException($"{ex.Message}:\n{Output()}", ex);
        }
    }

    /// <summary>True when the server answers `PING` with `+PONG` (while loading the AOF it answers `-LOADING`: not ready yet).</summary>
    private async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await CommandAsync(TimeSpan.FromSeconds(2), "PING").WaitAsync(cancellationToken) is "PONG";
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException or InvalidOperationException or OperationCanceledException)
        {
            return false;
        }
    }

    private Process RunningProcess()
    {
        lock (_gate)
        {
            return _process ?? throw new InvalidOperationException($"redis-server on port {Port} is not running");
        }
    }

    private static async Task KillAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: false);
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            process.Dispose();
        }
    }

    private static void KillAll()
    {
        foreach (var server in Live.Keys)
        {
            Process? process;
            lock (server._gate)
            {
                process = server._process;
                server._process = null;
            }

            try
            {
                if (process is { HasExited: false })
                {
                    process.Kill(entireProcessTree: false);
                    process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            server.DeleteDirectory();
        }
    }

    private void DeleteDirectory()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 1000 && _output.TryDequeue(out _))
        {
        }
    }

    private string Output() => string.Join('\n', _output);

    private sealed class RedisStartException(string message) : Exception(message);

    /// <summary>Reads one RESP2 reply.</summary>
    private sealed class RespReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[8192];
        private int _start;
        private int _end;

        public async Task<object?> ReadAsync(CancellationToken cancellationToken)
        {
            var line = await ReadLineAsync(cancellationToken);
            var rest = line[1..];
            switch (line[0])
            {
                case '+':
                    return rest;
                case '-':
                    throw new InvalidOperationException($"redis answered an error: {rest}");
                case ':':
                    return long.Parse(rest, System.Globalization.CultureInfo.InvariantCulture);
                case '$':
                    var length = int.Parse(rest, System.Globalization.CultureInfo.InvariantCulture);
                    if (length < 0)
                    {
                        return null;
                    }

                    var bytes = await ReadExactlyAsync(length + 2, cancellationToken);
                    return Encoding.UTF8.GetString(bytes, 0, length);
                case '*':
                    var count = int.Parse(rest, System.Globalization.CultureInfo.InvariantCulture);
                    if (count < 0)
                    {
                        return null;
                    }

                    var items = new object?[count];
                    for (var i = 0; i < count; i++)
                    {
                        items[i] = await ReadAsync(cancellationToken);
                    }

                    return items;
                default:
                    throw new InvalidOperationException($"not a RESP reply: {line}");
            }
        }

        private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = new List<byte>();
            while (true)
            {
                if (_start == _end)
                {
                    await FillAsync(cancellationToken);
                }

                var b = _buffer[_start++];
                if (b == (byte)'\n' && line.Count > 0 && line[^1] == (byte)'\r')
                {
                    return Encoding.UTF8.GetString([.. line], 0, line.Count - 1);
                }

                line.Add(b);
            }
        }

        private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
        {
            var bytes = new byte[count];
            var read = 0;
            while (read < count)
            {
                if (_start == _end)
                {
                    await FillAsync(cancellationToken);
                }

                var n = Math.Min(count - read, _end - _start);
                Array.Copy(_buffer, _start, bytes, read, n);
                _start += n;
                read += n;
            }

            return bytes;
        }

        private async Task FillAsync(CancellationToken cancellationToken)
        {
            _start = 0;
            _end = await stream.ReadAsync(_buffer, cancellationToken);
            if (_end == 0)
            {
                throw new IOException("redis closed the connection");
            }
        }
    }
}
