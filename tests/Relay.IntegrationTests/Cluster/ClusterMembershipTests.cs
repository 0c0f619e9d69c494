using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Cluster;

/// <summary>
/// Membership of rooms whose clients are spread over three nodes: ids, seats and the host are decided once for the
/// cluster, and every presence event reaches every node.
/// </summary>
public sealed class ClusterMembershipTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    /// <summary>Rounds of each race: one round would let a lucky interleaving pass.</summary>
    private const int RaceRounds = 5;

    private IReadOnlyList<RelayServer> Nodes => fixture.Nodes;

    private static int[] ClientIds(JsonElement connected) =>
        [.. connected.GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("clientId").GetInt32())];

    /// <summary>Sends `connect` on <paramref name="client"/> and returns the first reply, `connected` or `error`.</summary>
    private static async Task<JsonElement> ConnectAsync(TestClient client, CreatedRoom room, string name)
    {
        await client.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Secret, name });
        return await client.ReceiveJsonAsync();
    }

    [Fact]
    public async Task Clients_joining_through_three_nodes_get_ids_1_2_3_and_see_each_other()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, via: 1);

        var (first, c1) = await room.JoinWithAsync(0, name: "alice");
        var (second, c2) = await room.JoinWithAsync(1, name: "bob");
        var (third, c3) = await room.JoinWithAsync(2, name: "carol");

        Assert.Equal([1, 2, 3], new[] { first.ClientId, second.ClientId, third.ClientId });
        Assert.Equal([1], ClientIds(c1));
        Assert.Equal([1, 2], ClientIds(c2));
        Assert.Equal([1, 2, 3], ClientIds(c3));
        foreach (var connected in new[] { c1, c2, c3 })
        {
            Assert.Equal(1, Expect.HostIdOf(connected));
        }

        Assert.True(c1.GetProperty("isHost").GetBoolean());
        Assert.False(c3.GetProperty("isHost").GetBoolean());
        Assert.Equal(
            """[{"clientId":1,"name":"alice","isHost":true},{"clientId":2,"name":"bob","isHost":false},{"clientId":3,"name":"carol","isHost":false}]""",
            c3.GetProperty("clients").GetRawText());

        for (var node = 0; node < Nodes.Count; node++)
        {
            var read = await room.GetAsync(node);
            Assert.Equal(1, read.GetProperty("hostId").GetInt32());
            Assert.Equal(
                ["alice", "bob", "carol"],
                read.GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        }

        foreach (var client in new[] { first, second, third })
        {
            await client.AssertNothingPendingAsync();
        }
    }

    [Fact]
    public async Task Connect_errors_are_the_same_through_every_node()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, maxClients: 1, via: 0);
        for (var node = 0; node < Nodes.Count; node++)
        {
            var client = await room.OpenAsync(node);
            await client.SendJsonAsync(new { type = "connect", roomId = "no-such-room", secret = room.Room.Secret, @ref = node });
            Assert.Equal(node, (await client.ExpectErrorAsync("room_not_found")).GetProperty("ref").GetInt32());
            await client.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Room.Secret + "x" });
            await client.ExpectErrorAsync("invalid_secret");
        }

        var member = await room.JoinAsync(1);
        await member.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Room.Secret });
        await member.ExpectErrorAsync("already_connected");
        await member.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Concurrent_joins_through_three_nodes_get_unique_ids_and_every_member_sees_the_same_order()
    {
        const int count = 9;
        await using var room = await RoomHarness.CreateAsync(Nodes, via: 0);
        var clients = new List<TestClient>();
        for (var i = 0; i < count; i++)
        {
            clients.Add(await room.OpenAsync(i % Nodes.Count));
        }

        var replies = await Task.WhenAll(clients.Select((c, i) => ConnectAsync(c, room.Room, $"racer-{i}")));

        Assert.All(replies, r => Assert.Equal("connected", Expect.TypeOf(r)));
        var ids = replies.Select(r => r.GetProperty("clientId").GetInt32()).ToArray();
        Assert.Equal(Enumerable.Range(1, count), ids.Order());
        for (var i = 0; i < count; i++)
        {
            // `clients` in `connected` is everyone up to the joiner, in join order.
            Assert.Equal(Enumerable.Range(1, ids[i]), ClientIds(replies[i]));
            Assert.Equal(1, Expect.HostIdOf(replies[i]));
        }

        // Every member hears of each later joiner, in id order, whatever node either is on.
        for (var i = 0; i < count; i++)
        {
            for (var later = ids[i] + 1; later <= count; later++)
            {
                var joined = await clients[i].ExpectAsync("client_joined");
                Assert.Equal(later, joined.GetProperty("clientId").GetInt32());
            }

            await clients[i].AssertNothingPendingAsync();
        }
    }

    [Fact]
    public async Task Only_one_of_two_clients_joining_through_different_nodes_gets_the_last_seat()
    {
        for (var round = 0; round < RaceRounds; round++)
        {
            await using var room = await RoomHarness.CreateAsync(Nodes, maxClients: 2, via: round % Nodes.Count);
            var seated = await room.JoinAsync(0);
            var left = await room.OpenAsync(1);
            var right = await room.OpenAsync(2);

            var replies = await Task.WhenAll(ConnectAsync(left, room.Room, "left"), ConnectAsync(right, room.Room, "right"));

            var types = replies.Select(Expect.TypeOf).ToArray();
            Assert.True(
                types.Count(t => t == "connected") == 1 && types.Count(t => t == "error") == 1,
                $"round {round}: expected one connected and one room_full, got {replies[0].GetRawText()} and {replies[1].GetRawText()}");
            var error = replies.Single(r => Expect.TypeOf(r) == "error");
            Assert.Equal("room_full", error.GetProperty("code").GetString());
            var winner = Expect.TypeOf(replies[0]) == "connected" ? replies[0] : replies[1];
            Assert.Equal(2, winner.GetProperty("clientId").GetInt32());

            var joined = await seated.ExpectAsync("client_joined");
            Assert.Equal(2, joined.GetProperty("clientId").GetInt32());
            await seated.AssertNothingPendingAsync();
            for (var node = 0; node < Nodes.Count; node++)
            {
                Assert.Equal(2, (await room.GetAsync(node)).GetProperty("clientCount").GetInt32());
            }
        }
    }

    [Fact]
    public async Task Only_one_of_two_first_joiners_on_different_nodes_becomes_host_and_everyone_agrees()
    {
        for (var round = 0; round < RaceRounds; round++)
        {
            await using var room = await RoomHarness.CreateAsync(Nodes, via: round % Nodes.Count);
            var left = await room.OpenAsync(1);
            var right = await room.OpenAsync(2);

            var replies = await Task.WhenAll(ConnectAsync(left, room.Room, "left"), ConnectAsync(right, room.Room, "right"));

            Assert.All(replies, r => Assert.True(Expect.TypeOf(r) == "connected", $"round {round}: {r.GetRawText()}"));
            Assert.Equal(1, replies.Count(r => r.GetProperty("isHost").GetBoolean()));
            var host = replies.Single(r => r.GetProperty("isHost").GetBoolean());
            var hostId = host.GetProperty("clientId").GetInt32();
            Assert.Equal(1, hostId);
            Assert.All(replies, r => Assert.Equal(hostId, Expect.HostIdOf(r)));
            var other = replies.Single(r => !r.GetProperty("isHost").GetBoolean());
            Assert.Contains(
                other.GetProperty("clients").EnumerateArray(),
                c => c.GetProperty("clientId").GetInt32() == hostId && c.GetProperty("isHost").GetBoolean());

            // The host hears of the other joiner and of no host change; nobody else is told of a host change either.
            var (hostClient, otherClient) = replies[0].GetProperty("isHost").GetBoolean() ? (left, right) : (right, left);
            var joined = await hostClient.ExpectAsync("client_joined");
            Assert.Equal(2, joined.GetProperty("clientId").GetInt32());
            await hostClient.AssertNothingPendingAsync();
            await otherClient.AssertNothingPendingAsync();
            for (var node = 0; node < Nodes.Count; node++)
            {
                Assert.Equal(hostId, (await room.GetAsync(node)).GetProperty("hostId").GetInt32());
            }
        }
    }

    [Fact]
    public async Task A_client_presenting_the_host_secret_on_another_node_takes_over_the_host()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, via: 0);
        var (oldHost, other) = (await room.JoinAsync(0), await room.JoinAsync(1));

        var (newHost, connected) = await room.JoinWithAsync(2, secret: room.Room.HostSecret);

        Assert.True(connected.GetProperty("isHost").GetBoolean());
        Assert.Equal(newHost.ClientId, Expect.HostIdOf(connected));
        await Expect.HostChangedAsync(oldHost, newHost.ClientId);
        await Expect.HostChangedAsync(other, newHost.ClientId);

        await oldHost.SendJsonAsync(new { type = "kick", clientId = other.ClientId });
        await oldHost.ExpectErrorAsync("not_host");
        Assert.Equal(newHost.ClientId, (await room.GetAsync(1)).GetProperty("hostId").GetInt32());
    }

    [Fact]
    public async Task A_host_on_node_0_kicks_a_client_connected_to_node_2()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, via: 2);
        var (host, bystander, victim) = (await room.JoinAsync(0), await room.JoinAsync(1), await room.JoinAsync(2));

        await host.SendJsonAsync(new { type = "kick", clientId = victim.ClientId, reason = "cheating" });

        await Expect.KickedAsync(victim, "cheating");
        await Expect.ClientLeftAsync(host, victim.ClientId, "kicked");
        await Expect.ClientLeftAsync(bystander, victim.ClientId, "kicked");
        for (var node = 0; node < Nodes.Count; node++)
        {
            Assert.Equal(2, (await room.GetAsync(node)).GetProperty("clientCount").GetInt32());
        }

        // The kicked id is gone for everyone: a send to it is unknown_client wherever the sender is.
        await bystander.SendJsonAsync(new { type = "send", to = new[] { victim.ClientId }, data = 1 });
        await bystander.ExpectErrorAsync("unknown_client");
    }

    [Fact]
    public async Task Host_only_messages_follow_the_cluster_wide_host()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, via: 0);
        var (host, member, other) = (await room.JoinAsync(0), await room.JoinAsync(1), await room.JoinAsync(2));

        foreach (var message in new object[]
        {
            new { type = "kick", clientId = other.ClientId },
            new { type = "transfer_host", clientId = member.ClientId },
            new { type = "close_room" },
        })
        {
            await member.SendJsonAsync(message);
            await member.ExpectErrorAsync("not_host");
        }

        await host.SendJsonAsync(new { type = "kick", clientId = 99 });
        await host.ExpectErrorAsync("unknown_client");
        await host.SendJsonAsync(new { type = "transfer_host", clientId = 99 });
        await host.ExpectErrorAsync("unknown_client");

        foreach (var client in new[] { host, member, other })
        {
            await client.AssertNothingPendingAsync();
        }
    }

    [Fact]
    public async Task Transfer_host_to_a_client_on_another_node_is_seen_by_all_and_moves_the_powers()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, via: 1);
        var (host, bystander, heir) = (await room.JoinAsync(0), await room.JoinAsync(1), await room.JoinAsync(2));

        await host.SendJsonAsync(new { type = "transfer_host", clientId = heir.ClientId });

        foreach (var client in new[] { host, bystander, heir })
        {
            await Expect.HostChangedAsync(client, heir.ClientId);
        }

        for (var node = 0; node < Nodes.Count; node++)
        {
            Assert.Equal(heir.ClientId, (await room.GetAsync(node)).GetProperty("hostId").GetInt32());
        }

        await host.SendJsonAsync(new { type = "kick", clientId = bystander.ClientId });
        await host.ExpectErrorAsync("not_host");

        await heir.SendJsonAsync(new { type = "kick", clientId = host.ClientId, reason = "demoted" });
        await Expect.KickedAsync(host, "demoted");
        await Expect.ClientLeftAsync(bystander, host.ClientId, "kicked");
        await Expect.ClientLeftAsync(heir, host.ClientId, "kicked");
    }

    [Theory]
    [InlineData("leave")]
    [InlineData("abort")]
    public async Task Mesh_host_departing_passes_the_host_to_the_longest_connected_client_on_every_node(string how)
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, via: 0);
        // The longest-connected survivor is on node 2, the newest on node 1: node order is not join order.
        var (host, longest, newest) = (await room.JoinAsync(0), await room.JoinAsync(2), await room.JoinAsync(1));

        string reason;
        if (how == "leave")
        {
            await host.SendJsonAsync(new { type = "leave" });
            await host.ExpectAsync("left");
            reason = "left";
        }
        else
        {
            host.Abort();
            reason = "disconnected";
        }

        foreach (var client in new[] { longest, newest })
        {
            await Expect.ClientLeftAsync(client, host.ClientId, reason);
            await Expect.HostChangedAsync(client, longest.ClientId);
        }

        for (var node = 0; node < Nodes.Count; node++)
        {
            var read = await room.GetAsync(node);
            Assert.Equal(longest.ClientId, read.GetProperty("hostId").GetInt32());
            Assert.Equal(2, read.GetProperty("clientCount").GetInt32());
        }

        await longest.SendJsonAsync(new { type = "kick", clientId = newest.ClientId });
        await Expect.KickedAsync(newest, null);
    }

    [Theory]
    [InlineData("leave")]
    [InlineData("abort")]
    public async Task Host_protocol_room_closes_with_host_left_on_every_node_when_its_host_departs(string how)
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, protocol: "host", via: 2);
        var (host, first, second) = (await room.JoinAsync(1), await room.JoinAsync(0), await room.JoinAsync(2));

        if (how == "leave")
        {
            await host.SendJsonAsync(new { type = "leave" });
            await host.ExpectAsync("left");
        }
        else
        {
            host.Abort();
        }

        await Expect.RoomClosedAsync(first, "host_left", (WebSocketCloseStatus)4000);
        await Expect.RoomClosedAsync(second, "host_left", (WebSocketCloseStatus)4000);
        for (var node = 0; node < Nodes.Count; node++)
        {
            Assert.Equal(HttpStatusCode.NotFound, await room.GetStatusAsync(node));
        }

        if (how == "leave")
        {
            await host.AssertNothingPendingAsync();
        }
    }

    [Fact]
    public async Task Close_room_by_a_host_on_node_1_closes_clients_on_every_node()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, via: 0);
        var (host, a, b) = (await room.JoinAsync(1), await room.JoinAsync(0), await room.JoinAsync(2));

        await host.SendJsonAsync(new { type = "close_room", reason = "game over" });

        foreach (var client in new[] { host, a, b })
        {
            var closed = await client.ExpectAsync("room_closed");
            Assert.Equal("closed_by_host", closed.GetProperty("reason").GetString());
            Assert.Equal("game over", closed.GetProperty("message").GetString());
            await Expect.ClosedWithAsync(client, 4000);
        }

        for (var node = 0; node < Nodes.Count; node++)
        {
            Assert.Equal(HttpStatusCode.NotFound, await room.GetStatusAsync(node));
        }
    }

    [Fact]
    public async Task A_client_that_leaves_and_joins_again_through_another_node_gets_a_new_id()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, via: 0);
        var (host, wanderer) = (await room.JoinAsync(0), await room.JoinAsync(1));
        var oldId = wanderer.ClientId;

        await wanderer.SendJsonAsync(new { type = "leave" });
        await wanderer.ExpectAsync("left");
        await Expect.ClientLeftAsync(host, oldId, "left");

        var returned = await room.OpenAsync(2);
        var connected = await returned.JoinAsync(room.Id, room.Room.Secret, "back");
        Assert.Equal(3, returned.ClientId);
        Assert.Equal([1, 3], ClientIds(connected));
        var joined = await host.ExpectAsync("client_joined");
        Assert.Equal(3, joined.GetProperty("clientId").GetInt32());

        // The connection that left may join again too, and gets yet another id.
        var again = await wanderer.JoinAsync(room.Id, room.Room.Secret, "again");
        Assert.Equal(4, again.GetProperty("clientId").GetInt32());
    }
}
