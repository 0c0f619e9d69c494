using System.Globalization;
using System.Text.Json.Nodes;
using Relay.Infrastructure.Backplanes.Redis;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Webhooks;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Chaos;

/// <summary>
/// Webhooks in a cluster of three real node processes on a real Redis: each event is delivered by one node, once, to
/// a healthy endpoint; and when the node delivering a partition of rooms dies (SIGKILL) with events in flight, another
/// node takes the partition over and every event still arrives, in each room's order — also the events of the killed
/// node's own clients leaving.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", ChaosCollection.Category)]
public sealed class WebhookChaosTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Each_event_is_delivered_once_by_one_node_and_a_killed_node_s_events_still_arrive_in_order()
    {
        var promises = new PromiseLog(output);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var cluster = await ChaosCluster.StartAsync(output, 3, receiver.Settings(("Relay:Webhooks:TimeoutSeconds", "3")));
        var nodes = cluster.Nodes;

        // The partitions spread over the three nodes (a node that started first hands its surplus over).
        await Eventually.HoldsAsync(async () =>
        {
            var held = new List<double>();
            foreach (var node in nodes)
            {
                held.Add(await node.MetricAsync("relay_webhook_partitions") ?? 0);
            }

            return (held.Sum() == WebhookStreams.Partitions && held.All(h => h > 0), string.Join(", ", held));
        }, Bounds.Converge * 2, "the webhook partitions spread over the nodes");

        // 1. Healthy: rooms created and joined on every node; each event arrives exactly once, in its room's order.
        var healthy = new List<(ChaosRoom Room, string[] Expected)>();
        for (var i = 0; i < 6; i++)
        {
            var room = await ChaosRoom.CreateAsync(nodes[i % 3], resumeWindowSeconds: 0);
            var first = await room.JoinAsync(nodes[(i + 1) % 3], $"a{i}");
            await room.JoinAsync(nodes[(i + 2) % 3], $"b{i}");
            await first.RequestAsync(new JsonObject { ["type"] = "leave" }, Bounds.Setup);
            healthy.Add((room, [
                "room.created", $"client.joined {first.ClientId} host", $"host.changed {first.ClientId}",
                "client.joined 2", $"client.left {first.ClientId} left", "host.changed 2"]));
        }

        await promises.KeepAsync("every event reaches a healthy endpoint once, in its room's order", async () =>
        {
            await receiver.WaitAsync(events => healthy.All(h => Of(events, h.Room.Id).Count >= h.Expected.Length), Arrival, "the healthy rooms' events");
            foreach (var (room, expected) in healthy)
            {
                Assert.Equal(expected, Of(receiver.Events, room.Id));
            }

            var attempts = receiver.Attempts.Count;
            Assert.True(attempts == receiver.Events.Count, $"{attempts} attempts for {receiver.Events.Count} events: some event came twice");
        });

        // 2. The endpoint holds every answer; rooms with a member on the doomed node, three of them in its partitions.
        var doomed = nodes[2];
        var survivors = new[] { nodes[0], nodes[1] };
        var doomedPartitions = await LeasedToAsync(cluster, doomed.NodeId);
        promises.Note($"{doomed.NodeId} delivers partitions {string.Join(",", doomedPartitions)}");
        Assert.NotEmpty(doomedPartitions);
        var hold = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Answer = _ => hold.Task;
        var before = receiver.Events.Count;
        var held = new List<(ChaosRoom Room, string[] Expected)>();
        foreach (var id in RoomIds(doomedPartitions, inside: 3).Concat(RoomIds(doomedPartitions, inside: 0, outside: 3)))
        {
            var room = new ChaosRoom(await survivors[held.Count % 2].Api.CreateRoomAsync($$"""{"id":"{{id}}","resumeWindowSeconds":0}"""));
            var onDoomed = await room.JoinAsync(doomed, $"d-{id}");
            await room.JoinAsync(survivors[held.Count % 2], $"s-{id}");
            held.Add((room, [
                "room.created", $"client.joined {onDoomed.ClientId} host", $"host.changed {onDoomed.ClientId}",
                "client.joined 2", $"client.left {onDoomed.ClientId} disconnected", "host.changed 2"]));
        }

        // Each room's first event is in flight (held) at the node that delivers its partition.
        await receiver.WaitAsync(events => held.All(h => Of(events, h.Room.Id).Count >= 1), Arrival, "every held room's first event in flight");
        await doomed.KillAsync();
        promises.Note($"{doomed.NodeId} killed (SIGKILL) with {receiver.Events.Count - before} events in flight");
        receiver.Answer = _ => Task.FromResult(200);
        hold.SetResult(200);

        await promises.KeepAsync("every event of every room arrives after the death, in its room's order (the dead node's partitions taken over)", async () =>
        {
            await receiver.WaitAsync(events => held.All(h => Of(events, h.Room.Id).Count >= h.Expected.Length), Arrival, "the held rooms' events");
            foreach (var (room, expected) in held)
            {
                Assert.Equal(expected, Of(receiver.Events, room.Id));
            }
        });

        await promises.KeepAsync("the survivors deliver all sixteen partitions and leave nothing in Redis", async () =>
        {
            await Eventually.HoldsAsync(async () =>
            {
                var partitions = (await survivors[0].MetricAsync("relay_webhook_partitions") ?? 0) + (await survivors[1].MetricAsync("relay_webhook_partitions") ?? 0);
                long left = 0;
                for (var p = 0; p < WebhookStreams.Partitions; p++)
                {
                    left += (long)(await cluster.Redis.CommandAsync("XLEN", $"{cluster.KeyPrefix}:wh:{p.ToString(CultureInfo.InvariantCulture)}"))!;
                }

                return (partitions == WebhookStreams.Partitions && left == 0, $"{partitions} partitions held, {left} entries left");
            }, Arrival, "all partitions held and every stream empty");
        });

        promises.Note($"{receiver.Attempts.Count} attempts for {receiver.Events.Count} events ({receiver.Attempts.Count - receiver.Events.Count} repeated with the same webhook-id)");
        Assert.All(receiver.Attempts, a => Assert.True(a.VerificationError is null, a.VerificationError));
        cluster.KeepNoNodeExited(promises);
        promises.AssertAllKept();
    }

    /// <summary>The events of a room as "type clientId [host|reason]" or "host.changed hostId", in first-arrival order.</summary>
    private static List<string> Of(IReadOnlyList<ReceivedWebhook> events, string roomId) =>
        [.. events.Where(e => e.RoomId == roomId).Select(e => e.Type switch
        {
            "client.joined" => $"client.joined {e.Data.GetProperty("clientId").GetInt32()}{(e.Data.GetProperty("isHost").GetBoolean() ? " host" : string.Empty)}",
            "client.left" => $"client.left {e.Data.GetProperty("clientId").GetInt32()} {e.Data.GetProperty("reason").GetString()}",
            "host.changed" => $"host.changed {e.Data.GetProperty("hostId")}",
            _ => e.Type,
        })];

    private static async Task<List<int>> LeasedToAsync(ChaosCluster cluster, string nodeId)
    {
        var partitions = new List<int>();
        for (var p = 0; p < WebhookStreams.Partitions; p++)
        {
            if (await cluster.Redis.CommandAsync("GET", $"{cluster.KeyPrefix}:wh:lease:{p.ToString(CultureInfo.InvariantCulture)}") is string holder && holder == nodeId)
            {
                partitions.Add(p);
            }
        }

        return partitions;
    }

    /// <summary>Fresh room ids: <paramref name="inside"/> in <paramref name="partitions"/>, <paramref name="outside"/> in others.</summary>
    private static IEnumerable<string> RoomIds(List<int> partitions, int inside, int outside = 0)
    {
        var found = new List<string>();
        while (inside > 0 || outside > 0)
        {
            var id = "wh-" + Guid.NewGuid().ToString("N")[..12];
            var mine = partitions.Contains(WebhookStreams.PartitionOf(id));
            if (mine && inside > 0)
            {
                inside--;
                found.Add(id);
            }
            else if (!mine && outside > 0)
            {
                outside--;
                found.Add(id);
            }
        }

        return found;
    }
}
