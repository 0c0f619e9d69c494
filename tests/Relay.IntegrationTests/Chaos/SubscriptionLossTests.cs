using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Chaos;

/// <summary>
/// A node's pub/sub connection is dropped while the rest of the cluster goes on: killed by an operator or a proxy
/// (`CLIENT KILL TYPE pubsub`), or cut by Redis itself when the node read too slowly
/// (`client-output-buffer-limit pubsub`). Events published meanwhile never reach it. The node must notice without
/// waiting for a later event, repair its copy of each room (nobody is left with a stale member list) and count
/// what could not be repaired (relays) in its metrics.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", ChaosCollection.Category)]
public sealed class SubscriptionLossTests(ITestOutputHelper output)
{
    private const int Rounds = 10;

    /// <summary>The paused node's losses must show in these counters (the target design's names).</summary>
    private const string LostRelaysMetric = "relay_backplane_lost_relays_total";

    private const string ResyncsMetric = "relay_backplane_resyncs_total";

    [Fact]
    public async Task After_the_pubsub_connections_are_killed_a_join_reaches_every_node_without_waiting_for_another_event()
    {
        var promises = new PromiseLog(output);
        await using var cluster = await ChaosCluster.StartAsync(output, 3);
        var nodes = cluster.Nodes;
        var failedRounds = new List<int>();
        for (var round = 1; round <= Rounds; round++)
        {
            // A fresh room each round, so that one round's stale copy cannot spoil the next.
            await using var room = await ChaosRoom.CreateAsync(nodes[round % 3]);
            var members = new List<ChaosClient>();
            foreach (var node in nodes)
            {
                members.Add(await room.JoinAsync(node));
            }

            var killed = await cluster.Redis.KillPubSubClientsAsync();
            Assert.True(killed >= nodes.Count, $"CLIENT KILL TYPE pubsub killed {killed} connections; every node should have had one");
            var newcomer = await room.OpenAsync(nodes[1], $"newcomer-{round}");
            var kept = await promises.KeepAsync(
                $"round {round}: a join on node-1 right after the kill is answered `connected` within {Bounds.Answer.TotalSeconds:F1} s",
                async () =>
                {
                    var answer = await newcomer.ConnectAsync(room.Id, room.Room.Secret, Bounds.Answer);
                    Assert.True(answer.GetProperty("type").GetString() == "connected", $"answered {answer.GetRawText()}");
                });
            if (!kept)
            {
                failedRounds.Add(round);
                continue;
            }

            room.Admit(newcomer);
            var watch = Stopwatch.StartNew();
            await using var pings = Chatter.Start(newcomer, "newcomer", TimeSpan.FromMilliseconds(100));
            var seen = await Task.WhenAll(members.Select(member => promises.KeepAsync(
                $"round {round}: {member.Node.NodeId}'s member gets client_joined and then the newcomer's relays within {Bounds.Repair.TotalSeconds:F0} s",
                async () =>
                {
                    await member.WaitUntilAsync(
                        () => member.View.Contains(newcomer.ClientId) && member.RelaysFrom(newcomer.ClientId).Count > 0,
                        Bounds.Repair,
                        $"client_joined {newcomer.ClientId} and a relay from it");
                    var timeline = member.Timeline;
                    var joined = timeline.ToList().IndexOf($"joined {newcomer.ClientId}");
                    var firstRelay = timeline.ToList().FindIndex(e => e.StartsWith($"message {newcomer.ClientId} ", StringComparison.Ordinal));
                    Assert.True(joined >= 0 && joined < firstRelay, $"client_joined must come before the newcomer's first relay: {member.Recent(12)}");
                    var numbers = Numbered.Of(member.RelaysFrom(newcomer.ClientId), "newcomer");
                    Assert.True(numbers.SequenceEqual(numbers.Order().Distinct()), $"the newcomer's relays out of order: {Numbered.Describe(numbers)}");
                })));
            await pings.StopAsync();
            seen = [.. seen, await promises.KeepAsync($"round {round}: relays from old members reach the newcomer", async () =>
            {
                await members[0].BroadcastAsync($"welcome-{round}");
                await members[2].BroadcastAsync($"welcome-{round}");
                await newcomer.WaitUntilAsync(
                    () => newcomer.RelaysFrom(members[0].ClientId).Contains($"welcome-{round}") && newcomer.RelaysFrom(members[2].ClientId).Contains($"welcome-{round}"),
                    Bounds.Repair,
                    "the welcome relays from node-0 and node-2");
            })];
            // After a failed round only report the state (a short bound): the wait was already spent above.
            var convergeWithin = seen.Contains(false) ? TimeSpan.FromSeconds(1) : Bounds.Converge;
            seen = [.. seen, await promises.KeepAsync($"round {round}: every node's REST view and every member agree", () => room.ConvergedAsync(nodes, convergeWithin))];
            if (seen.Contains(false))
            {
                failedRounds.Add(round);
            }

            promises.Note($"round {round} done after {watch.Elapsed.TotalSeconds:F2} s");
        }

        promises.Keep(
            $"every one of {Rounds} rounds repaired the dropped subscription",
            failedRounds.Count == 0,
            $"{failedRounds.Count} of {Rounds} rounds failed: {string.Join(", ", failedRounds)}");
        cluster.KeepNoNodeExited(promises);
        promises.AssertAllKept();
    }

    [Fact]
    public async Task A_subscriber_cut_by_the_output_buffer_limit_repairs_its_rooms_and_counts_the_relays_it_lost()
    {
        const int PayloadBytes = 16 * 1024;
        const int PerTick = 40; // 40 x 16 KiB per 100 ms: about 6 MB/s, the rate of the audit.
        var promises = new PromiseLog(output);
        await using var cluster = await ChaosCluster.StartAsync(
            output,
            3,
            // The paused node receives its backlog in one burst: its clients' queues must hold it.
            ("Relay:SendQueue:MaxMessages", "1000000"),
            ("Relay:SendQueue:MaxBytes", "1073741824"),
            // A pause of a few seconds must not make it (or a node busy with the flood) be taken for dead: that is
            // another fault (NodeFailureChaosTests). Dead after 1.5 x 5 s.
            ("Relay:Redis:HeartbeatSeconds", "5"));
        var nodes = cluster.Nodes;
        var (n0, paused, n2) = (nodes[0], nodes[1], nodes[2]);
        await using var room = await ChaosRoom.CreateAsync(n0);
        var sender = await room.JoinAsync(n0, "sender");
        var leaver = await room.JoinAsync(n0, "leaver");
        var victim = await room.JoinAsync(paused, "victim");
        var control = await room.JoinAsync(n2, "control");
        var lostBefore = await paused.MetricAsync(LostRelaysMetric);
        var resyncsBefore = await paused.MetricAsync(ResyncsMetric);

        // Redis cuts a subscriber more than 4 MB behind (the soft limit effectively off: 2 MB for a whole minute).
        await cluster.Redis.SetPubSubOutputBufferLimitAsync("4mb", "2mb", 60);
        await paused.PauseAsync();
        var pausedAt = Stopwatch.StartNew();
        promises.Note($"{paused.NodeId} paused (SIGSTOP)");

        // Flood until Redis has cut the paused node's subscriber (its log names the client): at least 2 s, at most 5 s.
        var padding = new string('x', PayloadBytes);
        var sent = 0;
        var cut = false;
        using (var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100)))
        {
            while (pausedAt.Elapsed < TimeSpan.FromSeconds(2) || (!cut && pausedAt.Elapsed < TimeSpan.FromSeconds(5)))
            {
                for (var i = 0; i < PerTick; i++)
                {
                    sent++;
                    await sender.BroadcastAsync($"flood:{sent.ToString(CultureInfo.InvariantCulture)}:{padding}");
                }

                cut = cut || cluster.Redis.OutputLines().Any(l => l.Contains("output buffer limits", StringComparison.Ordinal) && l.Contains(paused.NodeId, StringComparison.Ordinal));
                await tick.WaitForNextTickAsync();
            }
        }

        Assert.True(cut, $"the fault was not injected: redis did not cut {paused.NodeId}'s subscriber for its output buffer");

        // Membership changes published while the paused node has no subscription: one member leaves, one joins elsewhere.
        var left = await leaver.RequestAsync(new JsonObject { ["type"] = "leave" }, Bounds.Answer);
        Assert.Equal("left", left.GetProperty("type").GetString());
        room.Forget(leaver);
        var newcomer = await room.OpenAsync(n2, "newcomer");
        var joined = await newcomer.ConnectAsync(room.Id, room.Room.Secret, Bounds.Answer);
        Assert.Equal("connected", joined.GetProperty("type").GetString());
        room.Admit(newcomer);

        var cutLines = cluster.Redis.OutputLines().Where(l => l.Contains("output buffer limits", StringComparison.Ordinal)).ToList();
        promises.Note($"sent {sent} relays of {PayloadBytes / 1024} KiB in {pausedAt.Elapsed.TotalSeconds:F1} s; redis cut {cutLines.Count} client(s): {string.Join(" | ", cutLines)}");
        await paused.ResumeAsync();
        promises.Note($"{paused.NodeId} resumed after {pausedAt.Elapsed.TotalSeconds:F1} s");

        await promises.KeepAsync($"{paused.NodeId} is ready within {Bounds.Recover.TotalSeconds:F0} s", () => ChaosCluster.WaitReadyAsync(paused, Bounds.Recover));
        await promises.KeepAsync(
            $"the membership changes it missed are repaired within {Bounds.Repair.TotalSeconds:F0} s: every node and member agree",
            () => room.ConvergedAsync(nodes, Bounds.Repair));
        await sender.BroadcastAsync("end");
        await promises.KeepAsync("the control member (healthy node) got every relay, in order", async () =>
        {
            await control.WaitUntilAsync(() => control.RelaysFrom(sender.ClientId).Contains("end"), Bounds.Converge, "the end marker");
            var got = Numbered.Of(control.RelaysFrom(sender.ClientId), "flood");
            Assert.True(Numbered.IsRun(got, 1, sent), $"got {Numbered.Describe(got)} of 1-{sent}");
        });
        var received = new List<int>();
        await promises.KeepAsync("the paused node's member gets the relays after the cut, in order, without duplicates", async () =>
        {
            await victim.WaitUntilAsync(() => victim.RelaysFrom(sender.ClientId).Contains("end"), Bounds.Converge, "the end marker");
            received = Numbered.Of(victim.RelaysFrom(sender.ClientId), "flood");
            Assert.True(received.SequenceEqual(received.Order().Distinct()), $"got {Numbered.Describe(received)}");
        });
        var missing = sent - received.Distinct().Count();
        promises.Note($"the paused node's member got {received.Count} of {sent} relays ({Numbered.Describe(received)}): {missing} missing");
        await cluster.NoteOperatorViewAsync(promises, "after the cut");
        var lostAfter = await paused.MetricAsync(LostRelaysMetric);
        var resyncsAfter = await paused.MetricAsync(ResyncsMetric);
        promises.Keep(
            $"{LostRelaysMetric} on {paused.NodeId} rose by at least the {missing} relays its member did not get",
            lostBefore is not null && lostAfter is not null && lostAfter - lostBefore >= missing,
            lostAfter is null ? "the metric is not exported" : $"it rose by {lostAfter - lostBefore}");
        promises.Keep(
            $"{ResyncsMetric} on {paused.NodeId} counts the repair",
            resyncsBefore is not null && resyncsAfter is not null && resyncsAfter > resyncsBefore,
            resyncsAfter is null ? "the metric is not exported" : $"it rose by {resyncsAfter - resyncsBefore}");
        cluster.KeepNoNodeExited(promises);
        promises.AssertAllKept();
    }
}
