using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Relay.Application.Abstractions;
using Relay.Infrastructure.Rooms.Redis;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Cluster;

/// <summary>
/// A node that stops (gracefully) or dies (stops heartbeating) while its clients share rooms with other nodes'. Each
/// test runs its own three-node cluster, alone (a loaded machine must not make a live node look dead). How fast a
/// dead node is detected is a number for the benchmarks; these tests assert what happens and in which order.
/// </summary>
[Collection(ClusterSoloCollection.Name)]
public sealed class ClusterNodeFailureTests
{
    /// <summary>A deadline for the survivors to notice the death (many heartbeat intervals): not a measurement.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_gracefully_stopped_node_closes_its_own_clients_with_shutdown_and_its_rooms_live_on()
    {
        await using var cluster = await RelayCluster.StartAsync(3);
        var nodes = cluster.Nodes;
        await using var mesh = await RoomHarness.CreateAsync(nodes, via: 1);
        var (host, first, second) = (await mesh.JoinAsync(1), await mesh.JoinAsync(0), await mesh.JoinAsync(2));
        await using var star = await RoomHarness.CreateAsync(nodes, protocol: "host", via: 0);
        var (starHost, starMember) = (await star.JoinAsync(0), await star.JoinAsync(1));

        var stopping = nodes[1].StopAsync();

        // Node 1's own clients: room_closed shutdown, close 1001.
        await Expect.RoomClosedAsync(host, "shutdown", WebSocketCloseStatus.EndpointUnavailable);
        await Expect.RoomClosedAsync(starMember, "shutdown", WebSocketCloseStatus.EndpointUnavailable);

        // The others: the departed member left as disconnected, then the protocol's host rules.
        foreach (var client in new[] { first, second })
        {
            await Expect.ClientLeftAsync(client, host.ClientId, "disconnected");
            await Expect.HostChangedAsync(client, first.ClientId);
        }

        await Expect.ClientLeftAsync(starHost, starMember.ClientId, "disconnected");
        await stopping.WaitAsync(StopBound);

        foreach (var node in new[] { 0, 2 })
        {
            var read = await mesh.GetAsync(node);
            Assert.Equal(first.ClientId, read.GetProperty("hostId").GetInt32());
            Assert.Equal([first.ClientId, second.ClientId], read.GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("clientId").GetInt32()));
            Assert.Equal(1, (await star.GetAsync(node)).GetProperty("clientCount").GetInt32());
        }

        // The room keeps working across the surviving nodes, ids are not reused.
        mesh.Forget(host);
        await first.SendTextAsync("""{"type":"broadcast","data":"still here"}""");
        await Expect.MessageAsync(second, first.ClientId, "\"still here\"");
        var (late, connected) = await mesh.JoinWithAsync(2);
        Assert.Equal(4, late.ClientId);
        Assert.Equal(first.ClientId, Expect.HostIdOf(connected));
        await starHost.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task A_crashed_node_s_clients_are_removed_by_the_others_in_one_order_and_the_room_lives_on()
    {
        await using var cluster = await RelayCluster.StartAsync(3);
        var nodes = cluster.Nodes;
        await using var mesh = await RoomHarness.CreateAsync(nodes, via: 0);
        var (host, first, second, doomed) = (await mesh.JoinAsync(2), await mesh.JoinAsync(0), await mesh.JoinAsync(1), await mesh.JoinAsync(2));
        await using var star = await RoomHarness.CreateAsync(nodes, protocol: "host", via: 1);
        var (starHost, starMember) = (await star.JoinAsync(2), await star.JoinAsync(0));
        // A room whose only members are on the dying node: no survivor has a local member to notice it.
        await using var orphan = await RoomHarness.CreateAsync(nodes, via: 2);
        await orphan.JoinAsync(2);
        await orphan.JoinAsync(2);
        var manager = (RedisRoomManager)nodes[2].Services.GetRequiredService<IRoomManager>();

        manager.SimulateCrash();

        // The survivors see both of node 2's clients go (disconnected) and the host pass to the longest-connected
        // survivor, in one order that every member shares: the host's departure before the new host.
        var sequences = await Task.WhenAll(new[] { first, second }.Select(async client =>
        {
            var events = new List<string>();
            while (!(events.Contains($"left {host.ClientId} disconnected")
                && events.Contains($"left {doomed.ClientId} disconnected")
                && events.Contains($"host {first.ClientId}")))
            {
                var message = await client.ReceiveJsonAsync(Patience);
                events.Add(Expect.TypeOf(message) switch
                {
                    "client_left" => $"left {message.GetProperty("clientId").GetInt32()} {message.GetProperty("reason").GetString()}",
                    "host_changed" => $"host {Expect.HostIdOf(message)}",
                    _ => message.GetRawText(),
                });
            }

            return events;
        }));
        await Expect.RoomClosedAsync(starMember, "host_left", (WebSocketCloseStatus)4000, Patience);

        Assert.Equal(3, sequences[0].Count);
        Assert.Equal(sequences[0], sequences[1]);
        Assert.True(
            sequences[0].IndexOf($"left {host.ClientId} disconnected") < sequences[0].IndexOf($"host {first.ClientId}"),
            $"host_changed came before the host's client_left: {string.Join(", ", sequences[0])}");
        await Eventually.HoldsAsync(
            async () =>
            {
                var count = (await orphan.GetAsync(0)).GetProperty("clientCount").GetInt32();
                return (count == 0, $"clientCount {count}");
            },
            Patience,
            "the dead node's members of a room no survivor is in removed");

        // Nothing else reached the survivors: no second host change, no duplicate departure.
        await first.AssertNothingPendingAsync();
        await second.AssertNothingPendingAsync();

        // The crashed node dropped its own sockets.
        foreach (var client in new[] { host, doomed, starHost })
        {
            await client.WaitForCloseAsync(Patience);
        }

        foreach (var node in new[] { 0, 1 })
        {
            var read = await mesh.GetAsync(node);
            Assert.Equal(first.ClientId, read.GetProperty("hostId").GetInt32());
            Assert.Equal([first.ClientId, second.ClientId], read.GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("clientId").GetInt32()));
            Assert.Equal(HttpStatusCode.NotFound, await star.GetStatusAsync(node));
        }

        // The room keeps working on the survivors, with fresh ids.
        await first.SendJsonAsync(new { type = "send", to = new[] { second.ClientId }, data = "alive" });
        await Expect.MessageAsync(second, first.ClientId, "\"alive\"");
        var late = await mesh.OpenAsync(1);
        var connected = await late.JoinAsync(mesh.Id, mesh.Room.Secret);
        Assert.Equal(5, late.ClientId);
        Assert.Equal(
            JsonSerializer.Serialize(new[] { first.ClientId, second.ClientId, 5 }),
            JsonSerializer.Serialize(connected.GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("clientId").GetInt32())));
    }
}
