using System.Diagnostics;
using System.Net;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>
/// Bounded polling of a condition that the server (its timers, other nodes, Redis) changes on its own schedule:
/// the one poller of the suite. A bound is a deadline for something that must happen, never a measurement.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds, and returns how long that took (for the test's log, never
    /// for an assertion); fails with <paramref name="what"/> and the last observation after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<TimeSpan> HoldsAsync(Func<Task<(bool Holds, string Observed)>> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var (holds, observed) = await condition();
            if (holds)
            {
                return watch.Elapsed;
            }

            if (watch.Elapsed > timeout)
            {
                throw new Xunit.Sdk.XunitException($"{what}: not within {timeout.TotalSeconds} s; last observed: {observed}");
            }

            // The polling interval (not a synchronisation sleep: the condition is checked again).
            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it is true; see <see cref="HoldsAsync(Func{Task{ValueTuple{bool, string}}}, TimeSpan, string)"/>.</summary>
    public static Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return HoldsAsync(async () => await condition() ? (true, "true") : (false, "false"), timeout, what);
    }

    /// <summary>Polls <paramref name="read"/> until its value satisfies <paramref name="holds"/>, and returns that value.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> holds, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(holds);
        var last = default(T)!;
        await HoldsAsync(
            async () =>
            {
                last = await read();
                return (holds(last), $"{last}");
            },
            timeout,
            what);
        return last;
    }

    /// <summary>Polls GET <paramref name="path"/> until it answers <paramref name="expected"/>.</summary>
    public static Task StatusAsync(HttpClient http, string path, HttpStatusCode expected, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(http);
        return HoldsAsync(
            async () =>
            {
                try
                {
                    using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
                    return (response.StatusCode == expected, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return (false, ex.Message);
                }
            },
            timeout,
            $"GET {path} answering {(int)expected}");
    }
}
