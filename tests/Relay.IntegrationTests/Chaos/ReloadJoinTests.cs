using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Chaos;

/// <summary>
/// Joins that land while a node reloads its copy of the room (forced by killing every pub/sub connection again and
/// again, which makes each node resubscribe and resync) must not be lost: each gets its answer in time, each
/// `connected` client is a member on every node, and none is later dropped for "no connect in time" (4002) or left
/// as a ghost that holds a seat nobody sees.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", ChaosCollection.Category)]
public sealed class ReloadJoinTests(ITestOutputHelper output)
{
    private const int ConnectTimeoutSeconds = 5;
    private const int Waves = 8;
    private const int PerNodeAndWave = 1;

    [Fact]
    public async Task Joins_landing_while_room_copies_reload_are_all_answered_seated_everywhere_and_kept()
    {
        var promises = new PromiseLog(output);
        await using var cluster = await ChaosCluster.StartAsync(
            output, 3, ("Relay:ConnectTimeoutSeconds", ConnectTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var nodes = cluster.Nodes;
        await using var room = await ChaosRoom.CreateAsync(nodes[0]);
        foreach (var node in nodes)
        {
            await room.JoinAsync(node, $"{node.NodeId}-seed");
        }

        using var stopKilling = new CancellationTokenSource();
        var kills = Task.Run(async () =>
        {
            var count = 0;
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
            try
            {
                do
                {
                    await cluster.Redis.KillPubSubClientsAsync();
                    count++;
                }
                while (await timer.WaitForNextTickAsync(stopKilling.Token));
            }
            catch (OperationCanceledException)
            {
            }

            return count;
        });

        var joiners = new List<ChaosClient>();
        var answers = new Dictionary<ChaosClient, JsonElement>();
        var lastConnectSent = Stopwatch.StartNew();
        var joins = new List<Task>();
        for (var wave = 0; wave < Waves; wave++)
        {
            // The sockets of a wave open first, so that its joins land close together (and well within the connect timeout).
            var batch = new List<ChaosClient>();
            for (var i = 0; i < PerNodeAndWave * nodes.Count; i++)
            {
                batch.Add(await room.OpenAsync(nodes[i % nodes.Count], $"joiner-{joiners.Count + batch.Count + 1}"));
            }

            joiners.AddRange(batch);
            joins.AddRange(batch.Select(joiner => promises.KeepAsync(
                $"{joiner.Name} on {joiner.Node.NodeId} is answered `connected` within {Bounds.Answer.TotalSeconds:F1} s",
                async () =>
                {
                    var answer = await joiner.ConnectAsync(room.Id, room.Room.Secret, Bounds.Answer);
                    lock (answers)
                    {
                        answers[joiner] = answer;
                    }

                    Assert.True(answer.GetProperty("type").GetString() == "connected", $"answered {answer.GetRawText()}");
                })));
            lastConnectSent.Restart();
            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(400));
            await pace.WaitForNextTickAsync();
        }

        await Task.WhenAll(joins);
        await stopKilling.CancelAsync();
        promises.Note($"{await kills} pub/sub kills during the joins");

        var connected = joiners.Where(j => answers.TryGetValue(j, out var a) && a.GetProperty("type").GetString() == "connected").ToList();
        foreach (var joiner in connected)
        {
            room.Admit(joiner);
        }

        promises.Note($"{connected.Count} of {joiners.Count} joins answered `connected`");
        await promises.KeepAsync(
            $"every connected client is in every node's view and knows every other member within {Bounds.Repair.TotalSeconds:F0} s of the last kill",
            () => room.ConvergedAsync(nodes, Bounds.Repair));

        // A join left without an answer is closed with 4002 once its connect timeout runs out: watch every joiner that long.
        var remaining = TimeSpan.FromSeconds(ConnectTimeoutSeconds + 1) - lastConnectSent.Elapsed;
        if (remaining > TimeSpan.Zero)
        {
            await Task.WhenAny(Task.WhenAll(joiners.Select(j => j.Closed)), Task.Delay(remaining));
        }

        foreach (var joiner in joiners)
        {
            joiner.Pump();
        }

        var late = joiners.Where(j => !connected.Contains(j)).Select(j => $"{j.Name} on {j.Node.NodeId}: {Fate(j)}, told {j.Recent(3)}").ToList();
        promises.Note($"joins not answered in time, afterwards: {(late.Count > 0 ? string.Join("; ", late) : "none")}");
        promises.Keep(
            "no joiner is closed afterwards (4002 or otherwise)",
            joiners.All(j => !j.IsClosed),
            string.Join(", ", joiners.Where(j => j.IsClosed).Select(j => $"{j} {Fate(j)}")) is { Length: > 0 } closed ? closed : "all open");
        await promises.KeepAsync("the views still agree, and a relay from each node reaches every member", async () =>
        {
            await room.ConvergedAsync(nodes, Bounds.Converge);
            var senders = nodes.Select(node => room.Members.First(m => m.Node == node)).ToList();
            foreach (var sender in senders)
            {
                await sender.BroadcastAsync($"hello-from-{sender.Node.NodeId}");
            }

            foreach (var member in room.Members)
            {
                foreach (var sender in senders.Where(s => s != member))
                {
                    await member.WaitUntilAsync(
                        () => member.RelaysFrom(sender.ClientId).Contains($"hello-from-{sender.Node.NodeId}"), Bounds.Converge, $"the relay from {sender}");
                }
            }
        });
        cluster.KeepNoNodeExited(promises);
        promises.AssertAllKept();
    }

    private static string Fate(ChaosClient client) =>
        client.CloseStatus is { } close ? $"closed {(int?)close.Status} {close.Description}" : "open";
}
