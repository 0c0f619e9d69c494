using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Chaos;

/// <summary>
/// Redis stalls for longer than every timeout (the nodes' budget and the client library's 5 s): busy in one command
/// (`DEBUG SLEEP`) or frozen (SIGSTOP). The nodes must not stop; they must say they are not ready, refuse what needs
/// Redis promptly and honestly (an `unavailable` or 503 that is never followed by the thing being done after all),
/// keep relaying between their own clients, and afterwards agree again on every room without ghosts.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", ChaosCollection.Category)]
public sealed class RedisStallTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(Faults.DebugSleep, 7)]
    [InlineData(Faults.SigStop, 7)]
    [InlineData(Faults.SigStop, 12)]
    public async Task A_redis_stall_is_refused_promptly_relayed_through_locally_and_leaves_no_trace(string how, int seconds)
    {
        var promises = new PromiseLog(output);
        await using var cluster = await ChaosCluster.StartAsync(output, 3);
        var nodes = cluster.Nodes;
        var (n0, n1, n2) = (nodes[0], nodes[1], nodes[2]);

        await using var main = await ChaosRoom.CreateAsync(n0);
        var (a0, b0, a1, a2) = (await main.JoinAsync(n0), await main.JoinAsync(n0), await main.JoinAsync(n1), await main.JoinAsync(n2));
        // One room per host command, each host on another node, so that one command carried out late cannot hide another.
        await using var kickRoom = await ChaosRoom.CreateAsync(n1);
        var (kickHost, kickTarget) = (await kickRoom.JoinAsync(n0), await kickRoom.JoinAsync(n1));
        await using var transferRoom = await ChaosRoom.CreateAsync(n2);
        var (transferHost, transferTarget) = (await transferRoom.JoinAsync(n1), await transferRoom.JoinAsync(n2));
        await using var closeRoom = await ChaosRoom.CreateAsync(n0);
        var (closeHost, closeMember) = (await closeRoom.JoinAsync(n2), await closeRoom.JoinAsync(n0));
        // Opening a WebSocket needs no Redis: one joiner per node is ready to send `connect` the moment the stall starts.
        var joiners = new List<ChaosClient>();
        foreach (var node in nodes)
        {
            joiners.Add(await main.OpenAsync(node, $"{node.NodeId}-stall-joiner"));
        }

        var stallOver = await Faults.StallAsync(cluster.Redis, how, seconds);
        promises.Note($"redis stalled ({how}, {seconds} s)");

        // ---- During the stall: everything at once, each promise timed from the start of the stall.
        var readiness = nodes.Select(node => promises.KeepAsync(
            $"{node.NodeId} /readyz answers 503 within {Bounds.Readiness.TotalSeconds:F1} s of the stall",
            () => ChaosCluster.WaitReadyAsync(node, Bounds.Readiness, HttpStatusCode.ServiceUnavailable))).ToArray();
        var during = new List<Task>(readiness);
        during.AddRange(joiners.Select(joiner => promises.KeepAsync(
            $"a connect on {joiner.Node.NodeId} is answered `unavailable` within {Bounds.Answer.TotalSeconds:F1} s",
            async () => Refusals.AssertUnavailable(await joiner.ConnectAsync(main.Id, main.Room.Secret, Bounds.Answer)))));
        foreach (var node in nodes)
        {
            during.Add(promises.KeepAsync(
                $"POST /v1/api/rooms on {node.NodeId} answers 503 with Retry-After within {Bounds.Answer.TotalSeconds:F1} s",
                () => Refusals.AssertRestRefusedAsync(node, HttpMethod.Post, "/v1/api/rooms", "{}")));
            during.Add(promises.KeepAsync(
                $"GET a room on {node.NodeId} answers 503 with Retry-After within {Bounds.Answer.TotalSeconds:F1} s",
                () => Refusals.AssertRestRefusedAsync(node, HttpMethod.Get, $"/v1/api/rooms/{main.Id}")));
        }

        // A host command sent once its node knows Redis is not answering (as in the audit: 1.5 s into the outage).
        during.Add(RefusedHostCommandAsync(promises, readiness[0], kickHost, new JsonObject { ["type"] = "kick", ["clientId"] = kickTarget.ClientId }));
        during.Add(RefusedHostCommandAsync(promises, readiness[1], transferHost, new JsonObject { ["type"] = "transfer_host", ["clientId"] = transferTarget.ClientId }));
        during.Add(RefusedHostCommandAsync(promises, readiness[2], closeHost, new JsonObject { ["type"] = "close_room" }));
        during.Add(promises.KeepAsync(
            $"relays between clients of one node keep flowing during the stall (10 of 10, in order, within {Bounds.Answer.TotalSeconds:F1} s)",
            async () =>
            {
                for (var i = 1; i <= 10; i++)
                {
                    await a0.BroadcastAsync(Numbered.Data("during", i));
                }

                await b0.WaitUntilAsync(() => Numbered.Of(b0.RelaysFrom(a0.ClientId), "during").Count >= 10, Bounds.Answer, "the 10 relays of its neighbour");
                var got = Numbered.Of(b0.RelaysFrom(a0.ClientId), "during");
                Assert.True(Numbered.IsRun(got, 1, 10), $"got {Numbered.Describe(got)}");
            }));
        await Task.WhenAll(during);
        await cluster.NoteOperatorViewAsync(promises, "during the stall");

        await stallOver.WaitAsync(TimeSpan.FromSeconds(seconds + 30));
        promises.Note("redis answers again");

        // ---- After the stall.
        foreach (var node in nodes)
        {
            await promises.KeepAsync(
                $"{node.NodeId} /readyz answers 200 again within {Bounds.Recover.TotalSeconds:F0} s",
                () => ChaosCluster.WaitReadyAsync(node, Bounds.Recover));
        }

        await promises.KeepAsync(
            "every node and every member agree on the members of before the stall (no ghost of a refused connect)",
            () => main.ConvergedAsync(nodes, Bounds.Converge));
        foreach (var node in nodes)
        {
            await promises.KeepAsync($"a join on {node.NodeId} after the stall succeeds and every member sees it", async () =>
            {
                var late = await main.OpenAsync(node, $"{node.NodeId}-after");
                var answer = await late.ConnectAsync(main.Id, main.Room.Secret, Bounds.Answer);
                Assert.True(answer.GetProperty("type").GetString() == "connected", $"answered {answer.GetRawText()}");
                main.Admit(late);
                await main.ConvergedAsync(nodes, Bounds.Converge);
            });
        }

        await promises.KeepAsync("relays cross nodes again after the stall", async () =>
        {
            await a1.BroadcastAsync("after-stall");
            foreach (var member in main.Members.Where(m => m != a1))
            {
                await member.WaitUntilAsync(() => member.RelaysFrom(a1.ClientId).Contains("after-stall"), Bounds.Converge, "the relay from another node");
            }
        });

        // What was refused was not done later: by now Redis has run anything queued during the stall.
        await promises.KeepAsync("the refused kick was not carried out later (the target is still in the room everywhere)", async () =>
        {
            await kickRoom.ConvergedAsync(nodes, Bounds.Converge);
            Assert.False(kickTarget.WasKicked || kickTarget.IsClosed, $"{kickTarget} was told: {kickTarget.Recent()}");
        });
        await promises.KeepAsync("the refused transfer_host was not carried out later (the host did not change anywhere)", async () =>
        {
            await transferRoom.ConvergedAsync(nodes, Bounds.Converge);
            foreach (var node in nodes)
            {
                var hostId = (await transferRoom.GetAsync(node)).GetProperty("hostId").GetInt32();
                Assert.True(hostId == transferHost.ClientId, $"{node.NodeId} shows host {hostId}, not {transferHost.ClientId}");
            }

            Assert.True(transferTarget.HostId == transferHost.ClientId, $"{transferTarget} was told: {transferTarget.Recent()}");
        });
        await promises.KeepAsync("the refused close_room was not carried out later (the room still exists everywhere)", async () =>
        {
            await closeRoom.ConvergedAsync(nodes, Bounds.Converge);
            Assert.True(closeMember.RoomClosedReason is null && !closeMember.IsClosed, $"{closeMember} was told: {closeMember.Recent()}");
        });

        await cluster.NoteOperatorViewAsync(promises, "after the stall");
        cluster.KeepNoNodeExited(promises);
        promises.AssertAllKept();
    }

    /// <summary>Once <paramref name="nodeKnows"/> has settled, <paramref name="host"/> sends <paramref name="command"/>: the answer must be `unavailable`, in time.</summary>
    private static async Task RefusedHostCommandAsync(PromiseLog promises, Task nodeKnows, ChaosClient host, JsonObject command)
    {
        await nodeKnows;
        await promises.KeepAsync(
            $"a host's {command["type"]} on {host.Node.NodeId} during the stall is answered `unavailable` within {Bounds.Answer.TotalSeconds:F1} s",
            async () => Refusals.AssertUnavailable(await host.RequestAsync(command, Bounds.Answer)));
    }
}
