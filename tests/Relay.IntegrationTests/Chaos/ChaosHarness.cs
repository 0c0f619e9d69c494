using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Chaos;

/// <summary>
/// The chaos tests (trait <c>Category=Chaos</c>) run alone: one at a time, never beside another test, in a pass of
/// their own (<c>dotnet test --filter Category=Chaos</c> in test.sh). Each starts its own redis-server and its own
/// node processes, injects one fault and checks what the docs promise for it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChaosCollection
{
    public const string Name = "Chaos";
    public const string Category = "Chaos";
}

/// <summary>
/// The bounds the chaos tests hold the cluster to. They are outcome bounds (an answer comes, a view converges), not
/// benchmarks: each is the documented interval plus a slack for a loaded two-core machine.
/// </summary>
internal static class Bounds
{
    /// <summary>`Relay:Redis:TimeoutSeconds`: the budget of any Redis call (the documented default, passed explicitly).</summary>
    public const double RedisTimeoutSeconds = 1.5;

    /// <summary>`Relay:Redis:HeartbeatSeconds` in these tests: a dead node's clients are removed within two of them.</summary>
    public const double HeartbeatSeconds = 1;

    /// <summary>How often a node probes Redis for readiness (the target design: once a second).</summary>
    public const double ReadinessProbeSeconds = 1;

    /// <summary>Scheduling and socket slack on a loaded machine, added to every documented interval.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromSeconds(2);

    /// <summary>Any request (connect, host command, REST) gets its answer, success or `unavailable` / 503, within this.</summary>
    public static readonly TimeSpan Answer = TimeSpan.FromSeconds(RedisTimeoutSeconds) + Slack;

    /// <summary>`/readyz` turns 503 within one probe interval plus one budget of the fault's start.</summary>
    public static readonly TimeSpan Readiness = TimeSpan.FromSeconds(ReadinessProbeSeconds + RedisTimeoutSeconds) + Slack;

    /// <summary>A dead node's clients leave everywhere within two heartbeat intervals.</summary>
    public static readonly TimeSpan Death = TimeSpan.FromSeconds(2 * HeartbeatSeconds) + Slack;

    /// <summary>A missed event (dropped subscription) is detected and repaired within this, without waiting for another event.</summary>
    public static readonly TimeSpan Repair = TimeSpan.FromSeconds(10);

    /// <summary>After a fault ends, a node is ready again within this.</summary>
    public static readonly TimeSpan Recover = TimeSpan.FromSeconds(20);

    /// <summary>Setting a test up on a healthy cluster (a join and its announcement): generous, it is not under test.</summary>
    public static readonly TimeSpan Setup = TimeSpan.FromSeconds(20);

    /// <summary>Views (REST on every node, every client's) agree within this once the cluster is healthy.</summary>
    public static readonly TimeSpan Converge = TimeSpan.FromSeconds(10);

    /// <summary>The usual settings of every chaos node, on top of the Redis backplane ones.</summary>
    public static (string Key, string Value)[] NodeSettings =>
    [
        ("Relay:Redis:HeartbeatSeconds", HeartbeatSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("Relay:Redis:TimeoutSeconds", RedisTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        // The tests relay in bursts; the default rate limit would refuse them.
        ("Relay:RateLimit:MessagesPerSecond", "100000"),
        ("Relay:RateLimit:Burst", "100000"),
        // Rooms stay until deleted: expiry is not under test and must not close a room a test is watching.
        ("Relay:EmptyRoomTtlSeconds", "0"),
    ];
}

/// <summary>
/// The promises one chaos test checks, each kept or broken on its own: a broken promise is recorded (with what was
/// observed and when) and the test goes on to check the others, so that one run reports every broken promise of a
/// fault, not only the first. <see cref="AssertAllKept"/> at the end fails the test when any was broken.
/// </summary>
internal sealed class PromiseLog(ITestOutputHelper output)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<string> _broken = new();

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Runs <paramref name="check"/>; any exception breaks <paramref name="promise"/>. True when kept.</summary>
    public async Task<bool> KeepAsync(string promise, Func<Task> check)
    {
        ArgumentNullException.ThrowIfNull(check);
        var started = _clock.Elapsed;
        try
        {
            await check();
            Note($"kept: {promise} ({(_clock.Elapsed - started).TotalSeconds:F2} s)");
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Break(promise, $"{ex.GetType().Name}: {ex.Message}");
            return false;
        }
    }

    /// <summary>Records <paramref name="promise"/> as kept or broken; <paramref name="observed"/> says what was seen.</summary>
    public bool Keep(string promise, bool kept, string observed)
    {
        if (kept)
        {
            Note($"kept: {promise} ({observed})");
        }
        else
        {
            Break(promise, observed);
        }

        return kept;
    }

    /// <summary>A line in the test output, stamped with the time since the test started.</summary>
    public void Note(string text) => output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F2} s] {text}");

    public void AssertAllKept()
    {
        if (!_broken.IsEmpty)
        {
            throw new Xunit.Sdk.XunitException($"{_broken.Count} promise(s) broken:\n- {string.Join("\n- ", _broken)}");
        }
    }

    private void Break(string promise, string observed)
    {
        var entry = $"[{_clock.Elapsed.TotalSeconds:F2} s] {promise}: {observed}";
        _broken.Enqueue(entry);
        output.WriteLine($"BROKEN {entry}");
    }
}
