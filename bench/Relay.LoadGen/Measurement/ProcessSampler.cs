using System.Diagnostics;
using System.Globalization;

namespace Relay.LoadGen.Measurement;

/// <summary>
/// Samples a process's CPU time (utime + stime from /proc/&lt;pid&gt;/stat) and resident memory (VmRSS from
/// /proc/&lt;pid&gt;/status) every 500 ms between <see cref="Start"/> and <see cref="StopAsync"/>.
/// Without a pid (or off Linux) it reports zeros.
/// </summary>
public sealed class ProcessSampler
{
    private const double ClockTicksPerSecond = 100; // USER_HZ: 100 on every Linux architecture .NET runs on.
    private readonly int? _pid;
    private CancellationTokenSource? _stop;
    private Task? _loop;
    private long _startTicks;
    private long _startTimestamp;
    private long _maxRssKb;
    private long _lastRssKb;

    public ProcessSampler(int? pid) => _pid = pid;

    /// <summary>A sampler of this process (the load generator).</summary>
    public static ProcessSampler Self() => new(Environment.ProcessId);

    public void Start()
    {
        if (_pid is null)
        {
            return;
        }

        _startTicks = ReadCpuTicks(_pid.Value);
        _startTimestamp = Stopwatch.GetTimestamp();
        _maxRssKb = _lastRssKb = ReadRssKb(_pid.Value);
        _stop = new CancellationTokenSource();
        _loop = SampleLoopAsync(_stop.Token);
    }

    public async Task<ProcessSample> StopAsync()
    {
        if (_pid is null || _stop is null || _loop is null)
        {
            return new ProcessSample();
        }

        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        var ticks = ReadCpuTicks(_pid.Value) - _startTicks;
        var seconds = Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds;
        Sample();
        return new ProcessSample
        {
            CpuPercent = seconds > 0 ? Math.Round(ticks / ClockTicksPerSecond / seconds * 100, 1) : 0,
            RssMiB = Math.Round(_lastRssKb / 1024.0, 1),
            MaxRssMiB = Math.Round(_maxRssKb / 1024.0, 1),
        };
    }

    /// <summary>Resident memory now, in bytes (0 when unknown).</summary>
    public static long RssBytes(int? pid) => pid is null ? 0 : ReadRssKb(pid.Value) * 1024;

    private async Task SampleLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                Sample();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Sample()
    {
        var rss = ReadRssKb(_pid!.Value);
        if (rss > 0)
        {
            _lastRssKb = rss;
            _maxRssKb = Math.Max(_maxRssKb, rss);
        }
    }

    private static long ReadCpuTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name (which may contain spaces) start at field 3 (state).
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }

    private static long ReadRssKb(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return 0;
    }
}
