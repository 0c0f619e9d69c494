using Relay.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Chaos;

/// <summary>
/// Nodes come and go (rolling restarts, crashes), each time with a new NodeId unless configured otherwise. What Redis
/// keeps per node must go with the node (the `&lt;prefix&gt;:stats` hash must not grow with restarts), and the summary's
/// cluster-wide `messagesRelayed` must never fall when a node restarts.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", ChaosCollection.Category)]
public sealed class StatsKeyTests(ITestOutputHelper output)
{
    private const int RelaysPerLife = 50;

    [Fact]
    public async Task The_stats_hash_does_not_grow_with_restarts_and_messages_relayed_never_falls()
    {
        var promises = new PromiseLog(output);
        await using var cluster = await ChaosCluster.StartAsync(output, 2);
        var stable = cluster[0];
        await using var room = await ChaosRoom.CreateAsync(stable);
        var listener = await room.JoinAsync(stable, "listener");
        var statsKey = $"{cluster.KeyPrefix}:stats";

        // Watches the summary all along: its messagesRelayed may only grow.
        using var stopSampling = new CancellationTokenSource();
        var falls = new List<string>();
        var sampler = Task.Run(async () =>
        {
            long highest = 0;
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
            try
            {
                while (await timer.WaitForNextTickAsync(stopSampling.Token))
                {
                    long relayed;
                    try
                    {
                        relayed = (await ChaosCluster.SummaryAsync(stable)).GetProperty("messagesRelayed").GetInt64();
                    }
                    catch (Exception ex) when (ex is HttpRequestException or Xunit.Sdk.XunitException or TaskCanceledException)
                    {
                        promises.Note($"summary not read: {ex.Message}");
                        continue;
                    }

                    if (relayed < highest)
                    {
                        falls.Add($"{highest} -> {relayed} at {promises.Elapsed.TotalSeconds:F1} s");
                    }

                    highest = Math.Max(highest, relayed);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        // Each life of slot 1: how the previous one ends, and the NodeId of the next: a rolling restart with a new id,
        // then a crash and a restart under the same id.
        (string Ends, string NodeId)[] lives = [("start", "node-1"), ("SIGTERM", "node-1-b"), ("SIGKILL", "node-1-b")];
        long relayedTotal = 0;
        long? baseline = null;
        foreach (var (ends, nodeId) in lives)
        {
            if (ends != "start")
            {
                if (ends == "SIGKILL")
                {
                    await cluster[1].KillAsync();
                }
                else
                {
                    var code = await cluster[1].TerminateAsync();
                    promises.Keep($"{cluster[1].NodeId} stops cleanly on SIGTERM", code == 0, $"exit code {code}");
                }

                await cluster.ReplaceAsync(1, nodeId);
                promises.Note($"slot 1 ended by {ends}, restarted as {nodeId}");
            }

            var talker = await room.JoinAsync(cluster[1], $"talker-{nodeId}");
            for (var i = 1; i <= RelaysPerLife; i++)
            {
                await talker.BroadcastAsync(Numbered.Data(nodeId, i));
            }

            await listener.WaitUntilAsync(
                () => Numbered.Of(listener.RelaysFrom(talker.ClientId), nodeId).Count == RelaysPerLife, Bounds.Converge, $"the {RelaysPerLife} relays of {nodeId}");
            relayedTotal += RelaysPerLife;
            await promises.KeepAsync($"the summary counts the {relayedTotal} relays so far", () => Eventually.HoldsAsync(
                async () =>
                {
                    var relayed = (await ChaosCluster.SummaryAsync(stable)).GetProperty("messagesRelayed").GetInt64();
                    return (relayed >= relayedTotal, $"messagesRelayed {relayed}");
                },
                Bounds.Converge,
                $"messagesRelayed reaching {relayedTotal}"));
            var fields = await HashLengthAsync(cluster.Redis, statsKey);
            if (baseline is null)
            {
                // Without the hash this test would measure nothing: it needs the nodes' counts to be kept there.
                Assert.True(fields > 0, $"{statsKey} is empty or missing while two nodes are up: the test has nothing to measure");
                baseline = fields;
            }

            promises.Note($"{statsKey} has {fields} fields with {nodeId} up");
            room.Forget(talker);
        }

        await promises.KeepAsync(
            $"{statsKey} does not grow with restarts (at most the {baseline} fields it had before the first restart)",
            () => Eventually.HoldsAsync(
                async () =>
                {
                    var fields = await HashLengthAsync(cluster.Redis, statsKey);
                    return (fields <= baseline, $"{fields} fields: {string.Join(", ", await FieldsAsync(cluster.Redis, statsKey))}");
                },
                Bounds.Death + Bounds.Converge,
                $"{statsKey} back to at most {baseline} fields"));
        await stopSampling.CancelAsync();
        await sampler;
        promises.Keep("the summary's messagesRelayed never fell", falls.Count == 0, falls.Count == 0 ? "it only grew" : string.Join("; ", falls));
        cluster.KeepNoNodeExited(promises);
        promises.AssertAllKept();
    }

    private static async Task<long> HashLengthAsync(RedisServer redis, string key) => (long)(await redis.CommandAsync("HLEN", key))!;

    private static async Task<IEnumerable<string?>> FieldsAsync(RedisServer redis, string key) =>
        ((object?[])(await redis.CommandAsync("HKEYS", key))!).Select(f => (string?)f);
}
