using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using Relay.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Chaos;

/// <summary>
/// A node dies for real (SIGKILL: no shutdown, sockets reset by the kernel) or freezes (SIGSTOP) for longer than the
/// dead-node bound, while clients relay and join. The survivors remove its clients within two heartbeat intervals and
/// agree on what is left, Redis keeps nothing of the dead node, and a frozen node that comes back serves no ghosts.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", ChaosCollection.Category)]
public sealed class NodeFailureChaosTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ChatterInterval = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task A_killed_node_s_clients_leave_everywhere_in_time_relays_between_survivors_go_on_and_nothing_leaks()
    {
        var promises = new PromiseLog(output);
        await using var cluster = await ChaosCluster.StartAsync(output, 3);
        var nodes = cluster.Nodes;
        var (n0, n1, doomed) = (nodes[0], nodes[1], nodes[2]);
        var survivors = new[] { n0, n1 };
        await using var mesh = await ChaosRoom.CreateAsync(n0);
        var (a0, b0, a1, b1, a2, b2) = (
            await mesh.JoinAsync(n0), await mesh.JoinAsync(n0), await mesh.JoinAsync(n1),
            await mesh.JoinAsync(n1), await mesh.JoinAsync(doomed), await mesh.JoinAsync(doomed));
        // A host room whose host is on the dying node: it closes (host_left) for the others.
        await using var star = await ChaosRoom.CreateAsync(n1, protocol: "host");
        await star.JoinAsync(doomed);
        var (starMember0, starMember1) = (await star.JoinAsync(n0), await star.JoinAsync(n1));
        // A room only the dying node has members in: no survivor has a local member to notice.
        await using var orphan = await ChaosRoom.CreateAsync(doomed);
        await orphan.JoinAsync(doomed);
        await orphan.JoinAsync(doomed);
        var late0 = await mesh.OpenAsync(n0, "late-0");
        var late1 = await mesh.OpenAsync(n1, "late-1");

        var chatter = new[] { a0, a1, a2 }.Select(c => Chatter.Start(c, $"chatter-{c.ClientId}", ChatterInterval)).ToList();
        await a0.WaitUntilAsync(() => a0.RelaysFrom(a2.ClientId).Count >= 3, Bounds.Converge, "traffic from the doomed node");

        await doomed.KillAsync();
        var killedAt = Stopwatch.StartNew();
        promises.Note($"{doomed.NodeId} killed (SIGKILL), exit code {doomed.ExitCode}");

        var afterDeath = new List<Task>();
        foreach (var survivor in new[] { a0, b0, a1, b1 })
        {
            afterDeath.Add(promises.KeepAsync(
                $"{survivor} sees both of the dead node's clients leave (disconnected) within {Bounds.Death.TotalSeconds:F0} s",
                async () =>
                {
                    await survivor.WaitUntilAsync(
                        () => !survivor.View.Contains(a2.ClientId) && !survivor.View.Contains(b2.ClientId), Bounds.Death - killedAt.Elapsed, "the dead node's clients leaving");
                    foreach (var gone in new[] { a2, b2 })
                    {
                        Assert.Contains($"left {gone.ClientId} disconnected", survivor.Timeline);
                    }
                }));
        }

        foreach (var member in new[] { starMember0, starMember1 })
        {
            afterDeath.Add(promises.KeepAsync(
                $"{member} is told its host room closed (host_left, 4000) within {Bounds.Death.TotalSeconds:F0} s",
                async () =>
                {
                    await member.WaitUntilAsync(() => member.RoomClosedReason is not null, Bounds.Death - killedAt.Elapsed, "room_closed");
                    Assert.Equal("host_left", member.RoomClosedReason);
                    var (status, _) = await member.WaitClosedAsync(Bounds.Converge);
                    Assert.Equal((WebSocketCloseStatus)4000, status);
                }));
        }

        // Joins right after the death, on both survivors.
        foreach (var late in new[] { late0, late1 })
        {
            afterDeath.Add(promises.KeepAsync($"a join on {late.Node.NodeId} right after the death is answered `connected` in time", async () =>
            {
                var answer = await late.ConnectAsync(mesh.Id, mesh.Room.Secret, Bounds.Answer);
                Assert.True(answer.GetProperty("type").GetString() == "connected", $"answered {answer.GetRawText()}");
            }));
        }

        await Task.WhenAll(afterDeath);
        mesh.Forget(a2, b2);
        foreach (var late in new[] { late0, late1 }.Where(c => c.ClientId > 0))
        {
            mesh.Admit(late);
        }

        await promises.KeepAsync("the survivors' views converge: REST on both nodes and every member", async () =>
        {
            await mesh.ConvergedAsync(survivors, Bounds.Converge);
            foreach (var node in survivors)
            {
                Assert.True(await star.RestIdsAsync(node) is null, $"{node.NodeId} still has the closed host room");
                Assert.True(await orphan.RestIdsAsync(node) is { Count: 0 }, $"{node.NodeId} lists {ChaosRoom.Show(await orphan.RestIdsAsync(node))} in the dead node's own room");
            }
        });

        var sent = new List<int>();
        foreach (var c in chatter)
        {
            sent.Add(await c.StopAsync());
        }

        await promises.KeepAsync("every relay between survivors arrived, in order, without a gap", async () =>
        {
            foreach (var (sender, last) in new[] { (a0, sent[0]), (a1, sent[1]) })
            {
                foreach (var receiver in mesh.Members.Where(m => m != sender))
                {
                    await receiver.WaitUntilAsync(
                        () => Numbered.Of(receiver.RelaysFrom(sender.ClientId), $"chatter-{sender.ClientId}").Contains(last), Bounds.Converge, $"{sender}'s last relay");
                    var got = Numbered.Of(receiver.RelaysFrom(sender.ClientId), $"chatter-{sender.ClientId}");
                    // A late joiner receives from its join on: a run that ends with the last relay.
                    var first = got.Count > 0 ? got[0] : 1;
                    Assert.True(
                        Numbered.IsRun(got, receiver is { Name: "late-0" or "late-1" } ? first : 1, last),
                        $"{receiver} got {Numbered.Describe(got)} of {sender}'s 1-{last}");
                }
            }

            foreach (var receiver in new[] { a0, b0, a1, b1 })
            {
                var got = Numbered.Of(receiver.RelaysFrom(a2.ClientId), $"chatter-{a2.ClientId}");
                Assert.True(got.Count > 0 && Numbered.IsRun(got, 1, got[^1]), $"{receiver} got {Numbered.Describe(got)} from the dead node's client (must be 1..k)");
            }
        });

        await promises.KeepAsync("Redis keeps nothing of the dead node, and the summary counts exactly the live clients", async () =>
        {
            var live = mesh.Members.Count; // the host room closed, the orphan room is empty
            await Eventually.HoldsAsync(
                async () =>
                {
                    var keys = (await cluster.Redis.KeysAsync($"{cluster.KeyPrefix}:*")).Where(k => k.Contains(doomed.NodeId, StringComparison.Ordinal)).ToList();
                    var clients = (await ChaosCluster.SummaryAsync(n0)).GetProperty("clients").GetInt32();
                    return (keys.Count == 0 && clients == live, $"keys naming {doomed.NodeId}: [{string.Join(", ", keys)}]; summary clients {clients}, live {live}");
                },
                Bounds.Converge,
                "no key of the dead node and the summary's clients equal to the live clients");
        });
        cluster.KeepNoNodeExited(promises);
        promises.AssertAllKept();
    }

    [Fact]
    public async Task A_node_paused_past_the_dead_node_bound_is_removed_and_serves_no_ghosts_when_it_resumes()
    {
        var promises = new PromiseLog(output);
        await using var cluster = await ChaosCluster.StartAsync(output, 2);
        var nodes = cluster.Nodes;
        var (n0, frozen) = (nodes[0], nodes[1]);
        await using var mesh = await ChaosRoom.CreateAsync(n0);
        var (a0, a1, ghostA, ghostB) = (await mesh.JoinAsync(n0), await mesh.JoinAsync(n0), await mesh.JoinAsync(frozen), await mesh.JoinAsync(frozen));
        await using var relays = Chatter.Start(a0, "paused", ChatterInterval);

        await frozen.PauseAsync();
        var pausedAt = Stopwatch.StartNew();
        promises.Note($"{frozen.NodeId} paused (SIGSTOP)");
        await Task.WhenAll(new[] { a0, a1 }.Select(survivor => promises.KeepAsync(
            $"{survivor} sees the paused node's clients leave (disconnected) within {Bounds.Death.TotalSeconds:F0} s",
            async () =>
            {
                await survivor.WaitUntilAsync(
                    () => !survivor.View.Contains(ghostA.ClientId) && !survivor.View.Contains(ghostB.ClientId), Bounds.Death - pausedAt.Elapsed, "the paused node's clients leaving");
                Assert.Contains($"left {ghostA.ClientId} disconnected", survivor.Timeline);
            })));
        mesh.Forget(ghostA, ghostB);

        // Stay frozen well past the bound (the fault's duration, on purpose), then come back.
        var frozenFor = Bounds.Death + TimeSpan.FromSeconds(1);
        if (pausedAt.Elapsed < frozenFor)
        {
            await Task.Delay(frozenFor - pausedAt.Elapsed);
        }

        await frozen.ResumeAsync();
        promises.Note($"{frozen.NodeId} resumed after {pausedAt.Elapsed.TotalSeconds:F1} s");

        // The removed clients try to go on as if nothing happened.
        foreach (var ghost in new[] { ghostA, ghostB })
        {
            try
            {
                await ghost.BroadcastAsync("from-a-ghost");
            }
            catch (WebSocketException)
            {
                // Already closed: fine.
            }
        }

        foreach (var ghost in new[] { ghostA, ghostB })
        {
            await promises.KeepAsync($"{ghost} is closed by its node once it resumes (within {Bounds.Recover.TotalSeconds:F0} s)", async () =>
            {
                var (status, description) = await ghost.WaitClosedAsync(Bounds.Recover);
                promises.Note($"{ghost} closed with {(int?)status} {description}; it was told: {ghost.Recent(4)}");
            });
        }

        await promises.KeepAsync($"{frozen.NodeId} is ready again within {Bounds.Recover.TotalSeconds:F0} s", () => ChaosCluster.WaitReadyAsync(frozen, Bounds.Recover));
        await promises.KeepAsync($"a join on {frozen.NodeId} works and every node and member agree", async () =>
        {
            var newcomer = await mesh.JoinAsync(frozen, "after-resume");
            await mesh.ConvergedAsync(nodes, Bounds.Converge);

            // The chatter reaches the newcomer too before it stops: its last relay must then come after the join (the
            // relays sent before the join, 100 ms apart, are not the newcomer's to receive).
            await newcomer.WaitUntilAsync(() => Numbered.Of(newcomer.RelaysFrom(a0.ClientId), "paused").Count > 0, Bounds.Converge, "a relay of node-0's client");
        });
        var sent = await relays.StopAsync();
        await promises.KeepAsync("no relay from a removed client reached anyone, and the live ones' relays all arrived", async () =>
        {
            foreach (var member in mesh.Members.Where(m => m != a0))
            {
                await member.WaitUntilAsync(
                    () => Numbered.Of(member.RelaysFrom(a0.ClientId), "paused").Contains(sent), Bounds.Converge, "the last relay of node-0's client");
                Assert.DoesNotContain("from-a-ghost", member.RelaysFrom(ghostA.ClientId));
                Assert.DoesNotContain("from-a-ghost", member.RelaysFrom(ghostB.ClientId));
            }

            var got = Numbered.Of(a1.RelaysFrom(a0.ClientId), "paused");
            Assert.True(Numbered.IsRun(got, 1, sent), $"{a1} got {Numbered.Describe(got)} of 1-{sent}");
        });
        var (readyz, observed) = await frozen.GetStatusAsync("/readyz", Bounds.Answer);
        promises.Keep($"{frozen.NodeId} stays ready", readyz == HttpStatusCode.OK, observed);
        cluster.KeepNoNodeExited(promises);
        promises.AssertAllKept();
    }
}
