using System.Diagnostics;
using System.Net;
using Relay.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Chaos;

/// <summary>
/// A real partition, not a process pause: two nodes in network namespaces of their own on this machine, and one of
/// them loses its link to Redis (its packets to Redis vanish) while the test can still reach it. That node must say
/// it is not ready, refuse promptly what needs Redis, keep relaying between its own clients, not exit, and recover by
/// itself when the link comes back; the other node goes on serving throughout.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", ChaosCollection.Category)]
public sealed class NetworkPartitionTests(ITestOutputHelper output)
{
    /// <summary>Longer than every timeout: the budget, and the Redis client's 5 s.</summary>
    private static readonly TimeSpan PartitionFor = TimeSpan.FromSeconds(8);

    [NetworkNamespaceFact]
    public async Task A_node_cut_off_from_redis_says_so_refuses_promptly_and_recovers_when_the_link_returns()
    {
        var promises = new PromiseLog(output);
        await using var lab = await NetworkLab.CreateAsync();
        var (cutNs, peerNs) = (await lab.AddNamespaceAsync(), await lab.AddNamespaceAsync());
        await using var cluster = await ChaosCluster.CreateAsync(
            output, new RedisServerOptions(ExtraBindAddresses: [cutNs.RedisAddress, peerNs.RedisAddress]));
        var cut = await cluster.AddNodeAsync("node-cut", cutNs.RedisAddress, cutNs.NodeAddress, cutNs.Name);
        var peer = await cluster.AddNodeAsync("node-peer", peerNs.RedisAddress, peerNs.NodeAddress, peerNs.Name);
        var nodes = cluster.Nodes;
        promises.Note($"nodes in namespaces {cutNs.Name} ({cut.BaseAddress}) and {peerNs.Name} ({peer.BaseAddress})");

        await using var room = await ChaosRoom.CreateAsync(peer);
        var (cutA, cutB, peerA) = (await room.JoinAsync(cut), await room.JoinAsync(cut), await room.JoinAsync(peer));
        var joiner = await room.OpenAsync(cut, "partitioned-joiner");
        var peerJoiner = await room.OpenAsync(peer, "peer-joiner");

        await NetworkLab.SetLinkAsync(cutNs.RedisLink, up: false);
        var partitioned = Stopwatch.StartNew();
        promises.Note($"{cut.NodeId} cut off from redis ({cutNs.RedisLink} down)");
        try
        {
            await Task.WhenAll(
                promises.KeepAsync(
                    $"{cut.NodeId} /readyz answers 503 within {Bounds.Readiness.TotalSeconds:F1} s",
                    () => ChaosCluster.WaitReadyAsync(cut, Bounds.Readiness, HttpStatusCode.ServiceUnavailable)),
                promises.KeepAsync(
                    $"a connect on {cut.NodeId} is answered `unavailable` within {Bounds.Answer.TotalSeconds:F1} s",
                    async () => Refusals.AssertUnavailable(await joiner.ConnectAsync(room.Id, room.Room.Secret, Bounds.Answer))),
                promises.KeepAsync(
                    $"a REST create on {cut.NodeId} answers 503 with Retry-After within {Bounds.Answer.TotalSeconds:F1} s",
                    () => Refusals.AssertRestRefusedAsync(cut, HttpMethod.Post, "/v1/api/rooms", "{}")),
                promises.KeepAsync($"clients of {cut.NodeId} still relay to each other", async () =>
                {
                    await cutA.BroadcastAsync("inside-the-partition");
                    await cutB.WaitUntilAsync(() => cutB.RelaysFrom(cutA.ClientId).Contains("inside-the-partition"), Bounds.Answer, "its neighbour's relay");
                }),
                promises.KeepAsync($"{peer.NodeId} stays ready and seats a new client meanwhile", async () =>
                {
                    await ChaosCluster.WaitReadyAsync(peer, Bounds.Answer);
                    var answer = await peerJoiner.ConnectAsync(room.Id, room.Room.Secret, Bounds.Answer);
                    Assert.True(answer.GetProperty("type").GetString() == "connected", $"answered {answer.GetRawText()}");
                    room.Admit(peerJoiner);
                }));

            await cluster.NoteOperatorViewAsync(promises, "during the partition");

            // The partition lasts longer than every timeout (its duration, on purpose).
            if (partitioned.Elapsed < PartitionFor)
            {
                await Task.Delay(PartitionFor - partitioned.Elapsed);
            }

            promises.Keep($"{cut.NodeId} is still running after {partitioned.Elapsed.TotalSeconds:F0} s of partition", !cut.HasExited, cut.ExitReport());
        }
        finally
        {
            await NetworkLab.SetLinkAsync(cutNs.RedisLink, up: true);
        }

        promises.Note($"link back after {partitioned.Elapsed.TotalSeconds:F1} s");
        await promises.KeepAsync($"{cut.NodeId} is ready again within {Bounds.Recover.TotalSeconds:F0} s", () => ChaosCluster.WaitReadyAsync(cut, Bounds.Recover));

        // The peer may have taken the silent node for dead and removed its clients; then that node must close them.
        // Either way, once settled, both nodes and every client still connected agree.
        await promises.KeepAsync("both nodes and every connected member agree on the room", async () =>
        {
            await Eventually.HoldsAsync(
                async () =>
                {
                    var listed = await room.RestIdsAsync(peer) ?? [];
                    var unsettled = new[] { cutA, cutB }.Where(c => !c.IsClosed && !listed.Contains(c.ClientId)).ToList();
                    return (unsettled.Count == 0, $"neither closed nor listed: {string.Join(", ", unsettled)}");
                },
                Bounds.Converge,
                "the cut node's clients either closed or members everywhere");
            room.Forget([.. room.Members.Where(m => m.IsClosed)]);
            promises.Note($"after the partition: {string.Join(", ", new[] { cutA, cutB }.Select(c => c.IsClosed ? $"{c} closed {(int?)c.CloseStatus!.Value.Status}" : $"{c} kept"))}");
            await room.ConvergedAsync(nodes, Bounds.Converge);
        });
        await promises.KeepAsync($"a join on {cut.NodeId} works again and {peer.NodeId}'s member sees it", async () =>
        {
            await room.JoinAsync(cut, "after-partition");
            await room.ConvergedAsync(nodes, Bounds.Converge);
            Assert.Contains(peerA, room.Members);
        });
        await cluster.NoteOperatorViewAsync(promises, "after the partition");
        cluster.KeepNoNodeExited(promises);
        promises.AssertAllKept();
    }
}
