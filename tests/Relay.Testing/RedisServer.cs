using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> (from PATH) on 127.0.0.1 and a free port, with its data in a temporary directory
/// (AOF with <c>appendfsync always</c>, so a <see cref="StopAsync">kill -9</see> followed by
/// <see cref="RestartAsync"/> keeps every acknowledged write). The cluster tests share <see cref="SharedAsync"/>,
/// separating their state by key prefix; a test that takes Redis down starts its own with <see cref="StartAsync"/>.
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
    private static readonly Lazy<Task<RedisServer>> Shared = new(() => StartAsync(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Lock _gate = new();
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;
    private bool _disposed;

    static RedisServer() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    private RedisServer(int port, string directory)
    {
        Port = port;
        Directory = directory;
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

    /// <summary>The server shared by every test of the assembly that does not take Redis down; started on first use.</summary>
    public static Task<RedisServer> SharedAsync() => Shared.Value;

    /// <summary>Starts a new redis-server on a free port; fails the test loudly when redis-server is not installed.</summary>
    public static async Task<RedisServer> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"relay-redis-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        var server = new RedisServer(0, directory);
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
        foreach (var argument in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", string.Empty,
            "--appendonly", "yes",
            "--appendfsync", "always",
            "--dir", Directory,
            "--daemonize", "no",
            "--protected-mode", "no",
        })
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

        ProcessWatchdog.Start(process.Id, Directory);

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

    /// <summary>True when the server answers `PING` with `+PONG` on a raw TCP connection.</summary>
    private async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(TimeSpan.FromSeconds(2));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), attempt.Token);
            await socket.SendAsync("PING\r\n"u8.ToArray(), SocketFlags.None, attempt.Token);
            var buffer = new byte[64];
            var read = 0;
            while (read < 7)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, attempt.Token);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            // While loading the AOF redis answers `-LOADING ...`: not ready yet.
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
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
        while (_output.Count > 200 && _output.TryDequeue(out _))
        {
        }
    }

    private string Output() => string.Join('\n', _output);

    private sealed class RedisStartException(string message) : Exception(message);
}
