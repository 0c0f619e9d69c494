using System.Net;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Cluster;

/// <summary>`Relay:EmptyRoomTtlSeconds` on a cluster: an empty room expires for every node, an occupied one does not.</summary>
public sealed class ClusterExpiryTests
{
    /// <summary>A one-second TTL is checked every second: ten seconds is generous and still bounded.</summary>
    private static readonly TimeSpan ExpiryBound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Empty_rooms_expire_on_every_node_and_occupied_ones_stay()
    {
        await using var cluster = await RelayCluster.StartAsync(3, redis: null, ("Relay:EmptyRoomTtlSeconds", "1"));
        var nodes = cluster.Nodes;
        await using var never = await RoomHarness.CreateAsync(nodes, via: 0);
        await using var emptied = await RoomHarness.CreateAsync(nodes, via: 1);
        await using var occupied = await RoomHarness.CreateAsync(nodes, via: 2);
        var leaver = await emptied.JoinAsync(2);
        var stayer = await occupied.JoinAsync(0);
        await leaver.SendJsonAsync(new { type = "leave" });
        await leaver.ExpectAsync("left");

        foreach (var room in new[] { never, emptied })
        {
            for (var node = 0; node < nodes.Count; node++)
            {
                var http = nodes[node].Http;
                await Eventually.StatusAsync(http, $"/v1/api/rooms/{room.Id}", HttpStatusCode.NotFound, ExpiryBound);
            }
        }

        for (var node = 0; node < nodes.Count; node++)
        {
            Assert.Equal(HttpStatusCode.OK, await occupied.GetStatusAsync(node));
            var list = await nodes[node].Api.GetJsonAsync("/v1/api/rooms");
            Assert.Equal(1, list.GetProperty("total").GetInt32());
        }

        // The expired ids are gone for joins too, through any node.
        await leaver.SendJsonAsync(new { type = "connect", roomId = emptied.Id, secret = emptied.Room.Secret });
        await leaver.ExpectErrorAsync("room_not_found");
        await stayer.AssertNothingPendingAsync();
        Assert.Equal(1, (await nodes[1].Api.GetJsonAsync("/v1/api/summary")).GetProperty("rooms").GetInt32());
    }
}
