using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Cluster;

/// <summary>The REST API of any node sees and changes every room of the cluster, whichever node its clients use.</summary>
public sealed class ClusterRestTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private IReadOnlyList<RelayServer> Nodes => fixture.Nodes;

    /// <summary>The list item of room <paramref name="id"/> as node <paramref name="node"/> lists it (every page read).</summary>
    private async Task<JsonElement> ListedAsync(int node, string id)
    {
        for (var offset = 0; ; offset += 500)
        {
            var page = await Nodes[node].Api.GetJsonAsync($"/v1/api/rooms?offset={offset}&limit=500");
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                if (item.GetProperty("id").GetString() == id)
                {
                    return item;
                }
            }

            Assert.True(page.GetProperty("items").GetArrayLength() == 500, $"node {node} does not list room {id}");
        }
    }

    [Fact]
    public async Task A_room_created_through_node_0_reads_the_same_through_every_node()
    {
        var created = await Nodes[0].Api.CreateRoomAsync(
            """{"protocol":"host","hostAssignment":"secret","maxClients":5,"metadata":{"map": "harbor", "n": [1, 2.50]}}""");
        var expected = created.Body;

        var reads = new List<JsonElement>();
        for (var node = 0; node < Nodes.Count; node++)
        {
            var room = await Nodes[node].Api.GetJsonAsync($"/v1/api/rooms/{created.Id}");
            foreach (var field in new[] { "id", "protocol", "hostAssignment", "maxClients", "locked", "metadata", "createdAt", "hostId", "clientCount" })
            {
                Assert.True(
                    expected.GetProperty(field).GetRawText() == room.GetProperty(field).GetRawText(),
                    $"node {node} reads {field} as {room.GetProperty(field).GetRawText()}, created as {expected.GetProperty(field).GetRawText()}");
            }

            Assert.Equal(0, room.GetProperty("clients").GetArrayLength());
            Assert.False(room.TryGetProperty("secret", out _), "a read must not reveal the secret");
            Assert.False(room.TryGetProperty("hostSecret", out _), "a read must not reveal the host secret");
            reads.Add(room);
        }

        var listed = new List<string>();
        for (var node = 0; node < Nodes.Count; node++)
        {
            listed.Add((await ListedAsync(node, created.Id)).GetRawText());
        }

        Assert.All(listed, item => Assert.Equal(listed[0], item));
        Assert.Equal(reads[0].GetProperty("metadata").GetRawText(), JsonDocument.Parse(listed[0]).RootElement.GetProperty("metadata").GetRawText());
    }

    [Fact]
    public async Task An_id_taken_through_one_node_is_a_conflict_through_another()
    {
        var id = $"taken-{Guid.NewGuid():N}";
        await Nodes[0].Api.CreateRoomAsync(JsonSerializer.Serialize(new { id }));

        for (var node = 1; node < Nodes.Count; node++)
        {
            using var response = await Nodes[node].Api.PostJsonAsync("/v1/api/rooms", JsonSerializer.Serialize(new { id }));
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        }
    }

    [Fact]
    public async Task An_update_through_node_1_shows_on_every_node_and_rules_joins_through_node_0()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, maxClients: 4, via: 0);
        var first = await room.JoinAsync(2, name: "first");

        using (var patched = await Nodes[1].Api.PatchJsonAsync(
            $"/v1/api/rooms/{room.Id}", """{"maxClients":2,"locked":true,"metadata":{"phase": "lobby"}}"""))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
            var body = await RelayApi.ReadJsonAsync(patched);
            Assert.Equal(2, body.GetProperty("maxClients").GetInt32());
            Assert.True(body.GetProperty("locked").GetBoolean());
            Assert.Equal(1, body.GetProperty("clients").GetArrayLength());
        }

        for (var node = 0; node < Nodes.Count; node++)
        {
            var read = await room.GetAsync(node);
            Assert.Equal(2, read.GetProperty("maxClients").GetInt32());
            Assert.True(read.GetProperty("locked").GetBoolean(), $"node {node} does not see the lock");

            // REST reads re-serialise metadata (single node too), so compare it as JSON; `connected` below is exact.
            Assert.True(
                JsonElement.DeepEquals(JsonDocument.Parse("""{"phase":"lobby"}""").RootElement, read.GetProperty("metadata")),
                $"node {node} reads metadata {read.GetProperty("metadata").GetRawText()}");
        }

        var refused = await room.OpenAsync(0);
        await refused.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Room.Secret });
        await refused.ExpectErrorAsync("room_locked");

        using (var unlocked = await Nodes[2].Api.PatchJsonAsync($"/v1/api/rooms/{room.Id}", """{"locked":false}"""))
        {
            Assert.Equal(HttpStatusCode.OK, unlocked.StatusCode);
        }

        var connected = await refused.JoinAsync(room.Id, room.Room.Secret, "second");
        Assert.Equal("""{"phase": "lobby"}""", connected.GetProperty("metadata").GetRawText());
        await room.AnnounceAsync(refused);

        // maxClients 2 set through node 1 now holds for a join through node 2.
        var third = await room.OpenAsync(2);
        await third.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Room.Secret });
        await third.ExpectErrorAsync("room_full");
        await first.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task A_room_at_max_clients_refuses_a_join_through_any_node()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, maxClients: 2, via: 1);
        await room.JoinAsync(0);
        await room.JoinAsync(1);

        var late = await room.OpenAsync(2);
        await late.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Room.Secret });
        await late.ExpectErrorAsync("room_full");
        Assert.Equal(2, (await room.GetAsync(2)).GetProperty("clientCount").GetInt32());
    }

    [Fact]
    public async Task Deleting_through_node_2_closes_the_clients_of_every_node()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, via: 0);
        var clients = new[] { await room.JoinAsync(0), await room.JoinAsync(1), await room.JoinAsync(2) };

        using (var deleted = await Nodes[2].Http.DeleteAsync(new Uri($"/v1/api/rooms/{room.Id}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        foreach (var client in clients)
        {
            var closed = await client.ExpectAsync("room_closed");
            Assert.Equal("deleted", closed.GetProperty("reason").GetString());
            await Expect.ClosedWithAsync(client, 4000);
        }

        for (var node = 0; node < Nodes.Count; node++)
        {
            Assert.Equal(HttpStatusCode.NotFound, await room.GetStatusAsync(node));
        }

        using var again = await Nodes[1].Http.DeleteAsync(new Uri($"/v1/api/rooms/{room.Id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task An_empty_room_created_through_node_0_is_deleted_through_node_1()
    {
        var created = await Nodes[0].Api.CreateRoomAsync();

        using (var deleted = await Nodes[1].Http.DeleteAsync(new Uri($"/v1/api/rooms/{created.Id}", UriKind.Relative)))
        {
            Assert.True(deleted.StatusCode == HttpStatusCode.NoContent, $"DELETE: {(int)deleted.StatusCode} {await deleted.Content.ReadAsStringAsync()}");
        }

        for (var node = 0; node < Nodes.Count; node++)
        {
            using var read = await Nodes[node].Http.GetAsync(new Uri($"/v1/api/rooms/{created.Id}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        }
    }

    [Fact]
    public async Task Kicking_the_host_of_a_host_room_through_another_node_closes_the_room_everywhere()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, protocol: "host", via: 0);
        var (host, first, second) = (await room.JoinAsync(2), await room.JoinAsync(0), await room.JoinAsync(1));

        using (var kicked = await Nodes[1].Http.DeleteAsync(new Uri($"/v1/api/rooms/{room.Id}/clients/{host.ClientId}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NoContent, kicked.StatusCode);
        }

        await Expect.KickedAsync(host, "kicked by the server");
        await Expect.RoomClosedAsync(first, "host_left", (WebSocketCloseStatus)4000);
        await Expect.RoomClosedAsync(second, "host_left", (WebSocketCloseStatus)4000);
        for (var node = 0; node < Nodes.Count; node++)
        {
            Assert.Equal(HttpStatusCode.NotFound, await room.GetStatusAsync(node));
        }
    }

    [Fact]
    public async Task A_push_through_node_1_reaches_clients_on_every_node()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, protocol: "host", via: 2);
        var clients = new[] { await room.JoinAsync(0), await room.JoinAsync(1), await room.JoinAsync(2) };

        using (var pushed = await Nodes[1].Api.PostJsonAsync($"/v1/api/rooms/{room.Id}/messages", """{"data": {"notice" : "round 1"}}"""))
        {
            Assert.Equal(HttpStatusCode.Accepted, pushed.StatusCode);
            Assert.Equal(3, (await RelayApi.ReadJsonAsync(pushed)).GetProperty("recipients").GetInt32());
        }

        foreach (var client in clients)
        {
            await Expect.MessageAsync(client, 0, """{"notice" : "round 1"}""");
        }

        // Targeted at the client on node 2 (and an id nobody has): only it receives, the protocol does not apply.
        var target = clients[2];
        using (var pushed = await Nodes[1].Api.PostJsonAsync(
            $"/v1/api/rooms/{room.Id}/messages", JsonSerializer.Serialize(new { data = 7, to = new[] { target.ClientId, 99 } })))
        {
            Assert.Equal(HttpStatusCode.Accepted, pushed.StatusCode);
            Assert.Equal(1, (await RelayApi.ReadJsonAsync(pushed)).GetProperty("recipients").GetInt32());
        }

        await Expect.MessageAsync(target, 0, "7");
        await clients[0].AssertNothingPendingAsync();
        await clients[1].AssertNothingPendingAsync();
        await target.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Kicking_through_node_0_removes_a_client_connected_to_node_2()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, via: 1);
        var (host, other, victim) = (await room.JoinAsync(0), await room.JoinAsync(1), await room.JoinAsync(2));

        using (var kicked = await Nodes[0].Http.DeleteAsync(new Uri($"/v1/api/rooms/{room.Id}/clients/{victim.ClientId}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NoContent, kicked.StatusCode);
        }

        await Expect.KickedAsync(victim, "kicked by the server");
        await Expect.ClientLeftAsync(host, victim.ClientId, "kicked");
        await Expect.ClientLeftAsync(other, victim.ClientId, "kicked");
        for (var node = 0; node < Nodes.Count; node++)
        {
            var read = await room.GetAsync(node);
            Assert.Equal(2, read.GetProperty("clientCount").GetInt32());
        }

        using var unknown = await Nodes[1].Http.DeleteAsync(new Uri($"/v1/api/rooms/{room.Id}/clients/{victim.ClientId}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task The_summary_counts_the_whole_cluster_on_every_node()
    {
        // A cluster of its own, so that the counts are exact.
        await using var cluster = await RelayCluster.StartAsync(3);
        var nodes = cluster.Nodes;
        await using var mesh = await RoomHarness.CreateAsync(nodes, protocol: "mesh", via: 0);
        await using var host = await RoomHarness.CreateAsync(nodes, protocol: "host", via: 1);
        await using var idle = await RoomHarness.CreateAsync(nodes, protocol: "mesh", via: 2);
        var sender = await mesh.JoinAsync(0);
        var receiver = await mesh.JoinAsync(1);
        await host.JoinAsync(2);

        await sender.SendTextAsync("""{"type":"broadcast","data":1234}""");
        await Expect.MessageAsync(receiver, sender.ClientId, "1234");

        for (var node = 0; node < nodes.Count; node++)
        {
            var http = nodes[node].Http;
            await Eventually.HoldsAsync(
                async () =>
                {
                    var summary = await new RelayApi(http).GetJsonAsync("/v1/api/summary");
                    var holds = summary.GetProperty("rooms").GetInt32() == 3
                        && summary.GetProperty("clients").GetInt32() == 3
                        && summary.GetProperty("roomsByProtocol").GetProperty("mesh").GetInt32() == 2
                        && summary.GetProperty("roomsByProtocol").GetProperty("host").GetInt32() == 1
                        && summary.GetProperty("messagesRelayed").GetInt64() == 1
                        && summary.GetProperty("bytesRelayed").GetInt64() == 4;
                    return (holds, summary.GetRawText());
                },
                TimeSpan.FromSeconds(10),
                $"node {node}'s summary: 3 rooms (2 mesh, 1 host), 3 clients, 1 message of 4 bytes");
        }
    }

    [Fact]
    public async Task A_room_s_relays_through_other_nodes_reach_its_count_on_every_node_with_their_heartbeat()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, via: 0);
        var alice = await room.JoinAsync(1);
        var bob = await room.JoinAsync(1);
        var carol = await room.JoinAsync(2);
        await using var quiet = await RoomHarness.CreateAsync(Nodes, via: 2);

        // 5 relays through node 1 and 2 through node 2. Node 0 holds no client of the room: all it reads comes from
        // Redis, where each node adds its rooms' counts on its heartbeat.
        for (var i = 0; i < 5; i++)
        {
            await alice.SendJsonAsync(new { type = "broadcast", data = i });
            await bob.ExpectAsync("message");
            await carol.ExpectAsync("message");
        }

        for (var i = 0; i < 2; i++)
        {
            await carol.SendJsonAsync(new { type = "send", to = new[] { alice.ClientId }, data = i });
            await alice.ExpectAsync("message");
        }

        for (var node = 0; node < Nodes.Count; node++)
        {
            Assert.Equal(7, await RelayedOnAsync(node, room.Id, 7));
        }

        Assert.Equal(7, (await ListedAsync(0, room.Id)).GetProperty("messagesRelayed").GetInt64());
        Assert.Equal(0, (await quiet.GetAsync(0)).GetProperty("messagesRelayed").GetInt64());
    }

    [Fact]
    public async Task Relays_of_a_room_deleted_before_their_heartbeat_neither_make_it_again_nor_count_in_a_room_made_with_its_id()
    {
        var again = await Nodes[0].Api.CreateRoomAsync(JsonSerializer.Serialize(new { id = $"again-{Guid.NewGuid():N}" }));
        var gone = await Nodes[0].Api.CreateRoomAsync();
        await using var marker = await RoomHarness.CreateAsync(Nodes, via: 0);
        foreach (var doomed in new[] { again, gone })
        {
            // Relays through node 1, then the room is deleted at once: usually before node 1's next heartbeat.
            await using var pair = await RoomHarness.JoinAsync(Nodes[1], doomed, "a", "b");
            for (var i = 0; i < 3; i++)
            {
                await pair[0].SendJsonAsync(new { type = "broadcast", data = i });
                await pair[1].ExpectAsync("message");
            }

            using var deleted = await Nodes[1].Http.DeleteAsync(new Uri($"/v1/api/rooms/{doomed.Id}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        var remade = await Nodes[0].Api.CreateRoomAsync(JsonSerializer.Serialize(new { id = again.Id }));
        Assert.Equal(0, remade.Body.GetProperty("messagesRelayed").GetInt64());

        // A relay through node 1 after those: once node 0 counts it, node 1 has reported everything before it.
        var sender = await marker.JoinAsync(1);
        var receiver = await marker.JoinAsync(1);
        await sender.SendJsonAsync(new { type = "broadcast", data = "marker" });
        await receiver.ExpectAsync("message");
        Assert.Equal(1, await RelayedOnAsync(0, marker.Id, 1));

        for (var node = 0; node < Nodes.Count; node++)
        {
            var read = await Nodes[node].Api.GetJsonAsync($"/v1/api/rooms/{again.Id}");
            Assert.Equal(0, read.GetProperty("messagesRelayed").GetInt64());
        }

        Assert.Equal(0L, await fixture.Cluster.Redis.CommandAsync("EXISTS", $"{fixture.Cluster.KeyPrefix}:r:{gone.Id}"));
        using var missing = await Nodes[0].Http.GetAsync(new Uri($"/v1/api/rooms/{gone.Id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    /// <summary>
    /// The `messagesRelayed` of room <paramref name="id"/> read through node <paramref name="node"/> once it is at least
    /// <paramref name="expected"/> (other nodes' relays arrive with their heartbeat): polled, bounded.
    /// </summary>
    private async Task<long> RelayedOnAsync(int node, string id, long expected)
    {
        var room = await Eventually.ValueAsync(
            () => Nodes[node].Api.GetJsonAsync($"/v1/api/rooms/{id}"),
            r => r.GetProperty("messagesRelayed").GetInt64() >= expected,
            TimeSpan.FromSeconds(15),
            $"node {node} counting {expected} relays in room {id}");
        return room.GetProperty("messagesRelayed").GetInt64();
    }
}
