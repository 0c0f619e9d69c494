using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Chaos;

/// <summary>Faults a chaos test injects into Redis.</summary>
internal static class Faults
{
    /// <summary>How a test stalls Redis: the debug command (redis busy in one command) or SIGSTOP (the process frozen).</summary>
    public const string DebugSleep = "DEBUG SLEEP";

    public const string SigStop = "SIGSTOP";

    /// <summary>
    /// Stalls <paramref name="redis"/> for <paramref name="seconds"/> s and returns once it has stopped answering;
    /// the returned task completes when it answers again (DEBUG SLEEP ends by itself; a SIGSTOP is followed by SIGCONT).
    /// </summary>
    public static async Task<Task> StallAsync(RedisServer redis, string how, int seconds)
    {
        ArgumentNullException.ThrowIfNull(redis);
        if (how == SigStop)
        {
            await redis.PauseAsync();
            return ResumeLaterAsync(redis, TimeSpan.FromSeconds(seconds));
        }

        Assert.Equal(DebugSleep, how);
        var sleeping = redis.CommandAsync(TimeSpan.FromSeconds(seconds + 30), "DEBUG", "SLEEP", seconds.ToString(CultureInfo.InvariantCulture));
        await Eventually.HoldsAsync(
            async () =>
            {
                if (sleeping.IsFaulted)
                {
                    await sleeping; // DEBUG refused (not enabled?): report why.
                }

                return await AnswersAsync(redis) ? (false, "redis still answers PING") : (true, "PING unanswered");
            },
            TimeSpan.FromSeconds(5),
            "redis stalled by DEBUG SLEEP");
        return sleeping;
    }

    /// <summary>True when redis answers PING within 300 ms.</summary>
    public static async Task<bool> AnswersAsync(RedisServer redis)
    {
        ArgumentNullException.ThrowIfNull(redis);
        try
        {
            return await redis.CommandAsync(TimeSpan.FromMilliseconds(300), "PING") is "PONG";
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            return false;
        }
    }

    private static async Task ResumeLaterAsync(RedisServer redis, TimeSpan after)
    {
        // The fault's duration: redis stays frozen this long on purpose.
        await Task.Delay(after);
        await redis.ResumeAsync();
    }
}

/// <summary>Checks of the documented refusal: `unavailable` on the socket, 503 with `Retry-After` over REST, in time.</summary>
internal static class Refusals
{
    /// <summary>The answer must be `error` with code `unavailable`.</summary>
    public static void AssertUnavailable(JsonElement answer)
    {
        Assert.True(
            answer.GetProperty("type").GetString() == "error" && answer.GetProperty("code").GetString() == "unavailable",
            $"expected error `unavailable`, got {answer.GetRawText()}");
    }

    /// <summary>
    /// Sends <paramref name="method"/> <paramref name="path"/> to <paramref name="node"/>: the answer must come within
    /// the answer bound and be 503 with a `Retry-After` header (never a 500, never a late success).
    /// </summary>
    public static async Task AssertRestRefusedAsync(NodeProcess node, HttpMethod method, string path, string? json = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        node.ThrowIfExited();
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var cts = new CancellationTokenSource(Bounds.Answer);
        HttpResponseMessage response;
        try
        {
            response = await node.Http.SendAsync(request, cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new Xunit.Sdk.XunitException($"{method} {path} on {node.NodeId}: no answer within {Bounds.Answer.TotalSeconds:F1} s");
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
            Assert.True(
                response.StatusCode == HttpStatusCode.ServiceUnavailable,
                $"{method} {path} on {node.NodeId} answered {(int)response.StatusCode} {body}");
            Assert.True(response.Headers.RetryAfter is not null, $"{method} {path} on {node.NodeId} answered 503 without Retry-After");
        }
    }
}

/// <summary>Numbered relays (`tag:n`): what a sender sent and what a receiver got, in order.</summary>
internal static class Numbered
{
    public static string Data(string tag, int n) => $"{tag}:{n.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The numbers of the `tag:n` relays in <paramref name="data"/>, in arrival order (other relays skipped).</summary>
    public static List<int> Of(IEnumerable<string> data, string tag)
    {
        var prefix = tag + ":";
        var numbers = new List<int>();
        foreach (var item in data)
        {
            if (item.StartsWith(prefix, StringComparison.Ordinal))
            {
                var digits = item.AsSpan(prefix.Length);
                var end = digits.IndexOf(':');
                numbers.Add(int.Parse(end < 0 ? digits : digits[..end], CultureInfo.InvariantCulture));
            }
        }

        return numbers;
    }

    /// <summary>True when <paramref name="numbers"/> is exactly <paramref name="first"/>..<paramref name="last"/> in order.</summary>
    public static bool IsRun(IReadOnlyList<int> numbers, int first, int last) =>
        numbers.Count == Math.Max(0, last - first + 1) && numbers.Select((n, i) => n == first + i).All(ok => ok);

    /// <summary>"1-57,60-100" (arrival order kept; a step back shows as its own range).</summary>
    public static string Describe(IReadOnlyList<int> numbers)
    {
        if (numbers.Count == 0)
        {
            return "none";
        }

        var ranges = new List<string>();
        var start = numbers[0];
        for (var i = 1; i <= numbers.Count; i++)
        {
            if (i == numbers.Count || numbers[i] != numbers[i - 1] + 1)
            {
                ranges.Add(start == numbers[i - 1] ? $"{start}" : $"{start}-{numbers[i - 1]}");
                if (i < numbers.Count)
                {
                    start = numbers[i];
                }
            }
        }

        return string.Join(",", ranges);
    }
}

/// <summary>
/// Background traffic: a client broadcasts `tag:1`, `tag:2`, ... at a steady pace while a fault runs, so that every
/// fault is injected while clients relay. <see cref="Sent"/> is the last number sent.
/// </summary>
internal sealed class Chatter : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _sent;

    private Chatter(ChaosClient client, string tag, TimeSpan interval)
    {
        Client = client;
        Tag = tag;
        _loop = Task.Run(() => RunAsync(interval));
    }

    public ChaosClient Client { get; }

    public string Tag { get; }

    public int Sent => Volatile.Read(ref _sent);

    public static Chatter Start(ChaosClient client, string tag, TimeSpan interval) => new(client, tag, interval);

    /// <summary>Stops sending; returns the last number sent.</summary>
    public async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        return Sent;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task RunAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var next = Sent + 1;
                await Client.BroadcastAsync(Numbered.Data(Tag, next));
                Volatile.Write(ref _sent, next);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Net.WebSockets.WebSocketException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            // Stopped, or the sender's node went away: the traffic ends there.
        }
    }
}
