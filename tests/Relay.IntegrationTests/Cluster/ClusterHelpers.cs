using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;

namespace Relay.IntegrationTests.Cluster;

/// <summary>
/// The cluster tests that depend on timing (node death, Redis outage) run alone, after the parallel tests, so that a
/// busy machine does not stretch the bounds they check.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterSoloCollection
{
    public const string Name = "Cluster solo";
}

/// <summary>Binary frames of the wire contract.</summary>
internal static class Frames
{
    public static byte[] Broadcast(byte[] payload) => [0x00, .. payload];

    public static byte[] SendTo(int clientId, byte[] payload)
    {
        var id = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(id, clientId);
        return [0x01, .. id, .. payload];
    }

    /// <summary>What a recipient gets: the 4-byte big-endian sender id, then the payload.</summary>
    public static byte[] Relayed(int from, byte[] payload)
    {
        var id = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(id, from);
        return [.. id, .. payload];
    }
}

/// <summary>Bounded polling of a condition that other processes (nodes, Redis) change on their own schedule.</summary>
internal static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> and the last observation after <paramref name="timeout"/>.</summary>
    public static async Task<TimeSpan> HoldsAsync(Func<Task<(bool Holds, string Observed)>> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var watch = Stopwatch.StartNew();
        var observed = "nothing";
        while (true)
        {
            bool holds;
            (holds, observed) = await condition();
            if (holds)
            {
                return watch.Elapsed;
            }

            if (watch.Elapsed > timeout)
            {
                throw new Xunit.Sdk.XunitException($"{what}: not within {timeout.TotalSeconds} s; last observed: {observed}");
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Polls GET <paramref name="path"/> until it answers <paramref name="expected"/>.</summary>
    public static Task<TimeSpan> StatusAsync(HttpClient http, string path, HttpStatusCode expected, TimeSpan timeout)
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
