using System.Net;
using System.Net.WebSockets;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Chaos;

/// <summary>
/// Redis is killed (SIGKILL) and started again, with its data (the AOF) or without it. The nodes stay up and say they
/// are not ready while it is gone; afterwards a Redis with its data gives back every room and member, and an empty
/// one means every room is gone, which the clients are told (`room_closed` `deleted`, close 4000) and REST shows (404).
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", ChaosCollection.Category)]
public sealed class RedisRestartTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Nodes_outlive_a_redis_restart_and_agree_afterwards_on_what_it_kept(bool withData)
    {
        var promises = new PromiseLog(output);
        await using var cluster = await ChaosCluster.StartAsync(output, 3);
        var nodes = cluster.Nodes;
        var (n0, n1, n2) = (nodes[0], nodes[1], nodes[2]);
        await using var mesh = await ChaosRoom.CreateAsync(n0);
        var (a0, b0) = (await mesh.JoinAsync(n0), await mesh.JoinAsync(n0));
        await mesh.JoinAsync(n1);
        await mesh.JoinAsync(n2);
        await using var star = await ChaosRoom.CreateAsync(n1, protocol: "host");
        var starHost = await star.JoinAsync(n1);
        await star.JoinAsync(n2);
        var joiner = await mesh.OpenAsync(n1, "outage-joiner");
        await using var relays = Chatter.Start(a0, "outage", TimeSpan.FromMilliseconds(100));

        await cluster.Redis.StopAsync();
        promises.Note("redis killed");

        var during = nodes.Select(node => promises.KeepAsync(
            $"{node.NodeId} stays up (/healthz 200) and says it is not ready (/readyz 503 within {Bounds.Readiness.TotalSeconds:F1} s)",
            async () =>
            {
                await ChaosCluster.WaitReadyAsync(node, Bounds.Readiness, HttpStatusCode.ServiceUnavailable);
                var (health, observed) = await node.GetStatusAsync("/healthz", Bounds.Answer);
                Assert.True(health == HttpStatusCode.OK, $"/healthz: {observed}");
            })).ToList();
        during.Add(promises.KeepAsync(
            $"a connect during the outage is answered `unavailable` within {Bounds.Answer.TotalSeconds:F1} s",
            async () => Refusals.AssertUnavailable(await joiner.ConnectAsync(mesh.Id, mesh.Room.Secret, Bounds.Answer))));
        during.Add(promises.KeepAsync(
            $"a REST create during the outage answers 503 with Retry-After within {Bounds.Answer.TotalSeconds:F1} s",
            () => Refusals.AssertRestRefusedAsync(n2, HttpMethod.Post, "/v1/api/rooms", "{}")));
        during.Add(promises.KeepAsync("clients of one node relay to each other during the outage", async () =>
        {
            var target = relays.Sent + 3;
            await b0.WaitUntilAsync(() => Numbered.Of(b0.RelaysFrom(a0.ClientId), "outage").Contains(target), Bounds.Answer, $"relay outage:{target}");
        }));
        await Task.WhenAll(during);
        await cluster.NoteOperatorViewAsync(promises, "during the outage");

        if (withData)
        {
            await cluster.Redis.RestartAsync();
        }
        else
        {
            await cluster.Redis.RestartEmptyAsync();
        }

        promises.Note($"redis restarted {(withData ? "with its data" : "empty")}");
        var sent = await relays.StopAsync();
        foreach (var node in nodes)
        {
            await promises.KeepAsync(
                $"{node.NodeId} is ready again within {Bounds.Recover.TotalSeconds:F0} s",
                () => ChaosCluster.WaitReadyAsync(node, Bounds.Recover));
        }

        if (withData)
        {
            await promises.KeepAsync("every room and member survived: all nodes and all members agree", async () =>
            {
                await mesh.ConvergedAsync(nodes, Bounds.Converge);
                await star.ConvergedAsync(nodes, Bounds.Converge);
                foreach (var node in nodes)
                {
                    var hostId = (await star.GetAsync(node)).GetProperty("hostId").GetInt32();
                    Assert.True(hostId == starHost.ClientId, $"{node.NodeId} shows host {hostId}");
                }
            });
            foreach (var node in nodes)
            {
                await promises.KeepAsync($"a join on {node.NodeId} after the restart succeeds and every member sees it", async () =>
                {
                    var late = await mesh.OpenAsync(node, $"{node.NodeId}-after");
                    var answer = await late.ConnectAsync(mesh.Id, mesh.Room.Secret, Bounds.Answer);
                    Assert.True(answer.GetProperty("type").GetString() == "connected", $"answered {answer.GetRawText()}");
                    mesh.Admit(late);
                    await mesh.ConvergedAsync(nodes, Bounds.Converge);
                });
            }

            await promises.KeepAsync("relays cross nodes again", async () =>
            {
                await a0.BroadcastAsync(Numbered.Data("outage", sent + 1));
                foreach (var member in mesh.Members.Where(m => m != a0))
                {
                    await member.WaitUntilAsync(
                        () => Numbered.Of(member.RelaysFrom(a0.ClientId), "outage").Contains(sent + 1), Bounds.Converge, "the relay after the restart");
                }
            });
        }
        else
        {
            foreach (var client in mesh.Members.Concat(star.Members))
            {
                await promises.KeepAsync($"{client} is told its room is gone: room_closed deleted, close 4000", async () =>
                {
                    await client.WaitUntilAsync(() => client.RoomClosedReason is not null, Bounds.Recover, "room_closed");
                    Assert.True(client.RoomClosedReason == "deleted", $"room_closed {client.RoomClosedReason}");
                    var (status, description) = await client.WaitClosedAsync(Bounds.Converge);
                    Assert.True(status == (WebSocketCloseStatus)4000, $"closed with {(int?)status} {description}");
                });
            }

            foreach (var node in nodes)
            {
                await promises.KeepAsync($"{node.NodeId} answers 404 for both rooms, and creates and seats in new rooms", async () =>
                {
                    Assert.Null(await mesh.RestIdsAsync(node));
                    Assert.Null(await star.RestIdsAsync(node));
                    await using var fresh = await ChaosRoom.CreateAsync(node);
                    await fresh.JoinAsync(node);
                    await fresh.JoinAsync(nodes[(nodes.ToList().IndexOf(node) + 1) % nodes.Count]);
                    await fresh.ConvergedAsync(nodes, Bounds.Converge);
                });
            }
        }

        await cluster.NoteOperatorViewAsync(promises, "after the restart");
        cluster.KeepNoNodeExited(promises);
        promises.AssertAllKept();
    }
}
