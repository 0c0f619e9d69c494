using System.Buffers.Binary;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Cluster;

/// <summary>Relays between clients on different nodes: exact bytes, the protocols' rules and per-sender order.</summary>
public sealed class ClusterRelayTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private IReadOnlyList<RelayServer> Nodes => fixture.Nodes;

    /// <summary>A payload covering every byte value, zero and 0xFF included.</summary>
    private static byte[] Payload(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(255 - (i % 256)))];

    [Fact]
    public async Task A_json_broadcast_from_node_0_reaches_nodes_1_and_2_byte_for_byte()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes);
        var (sender, first, second) = (await room.JoinAsync(0), await room.JoinAsync(1), await room.JoinAsync(2));
        const string data = """{ "text" : "héllo ☃", "n": [1, 2.50, -0e0], "nested": {"deep": [null, true]} }""";

        await sender.SendTextAsync("{\"type\":\"broadcast\",\"data\":" + data + "}");

        await Expect.MessageAsync(first, sender.ClientId, data);
        await Expect.MessageAsync(second, sender.ClientId, data);
        await sender.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task A_binary_broadcast_from_node_0_reaches_nodes_1_and_2_with_its_sender_id()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes);
        var (sender, first, second) = (await room.JoinAsync(0), await room.JoinAsync(1), await room.JoinAsync(2));

        foreach (var length in new[] { 0, 1, 3000 })
        {
            var payload = Payload(length);
            await sender.SendBinaryAsync(Frames.Broadcast(payload));

            Assert.Equal(Frames.Relayed(sender.ClientId, payload), await first.ExpectBinaryAsync());
            Assert.Equal(Frames.Relayed(sender.ClientId, payload), await second.ExpectBinaryAsync());
        }

        await sender.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task A_send_reaches_only_the_listed_clients_on_other_nodes()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes);
        var (sender, onNode1, onNode2, alsoNode2) = (await room.JoinAsync(0), await room.JoinAsync(1), await room.JoinAsync(2), await room.JoinAsync(2));

        await sender.SendTextAsync($"{{\"type\":\"send\",\"to\":[{onNode2.ClientId},{onNode2.ClientId}],\"data\":{{\"move\" : \"e2e4\"}}}}");
        await Expect.MessageAsync(onNode2, sender.ClientId, """{"move" : "e2e4"}""");

        // Binary send to one client on node 1.
        var payload = Payload(17);
        await sender.SendBinaryAsync(Frames.SendTo(onNode1.ClientId, payload));
        Assert.Equal(Frames.Relayed(sender.ClientId, payload), await onNode1.ExpectBinaryAsync());

        // A client on node 2 sends to the sender on node 0 and to a client on its own node.
        await onNode2.SendTextAsync($$"""{"type":"send","to":[{{sender.ClientId}},{{alsoNode2.ClientId}}],"data":"back"}""");
        await Expect.MessageAsync(sender, onNode2.ClientId, "\"back\"");
        await Expect.MessageAsync(alsoNode2, onNode2.ClientId, "\"back\"");

        foreach (var client in new[] { sender, onNode1, onNode2, alsoNode2 })
        {
            await client.AssertNothingPendingAsync();
        }
    }

    [Fact]
    public async Task A_send_naming_an_id_not_in_the_room_is_unknown_client_and_delivers_nothing()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes);
        var (sender, remote, leaver) = (await room.JoinAsync(0), await room.JoinAsync(1), await room.JoinAsync(2));

        await sender.SendJsonAsync(new { type = "send", to = new[] { remote.ClientId, 42 }, data = 1, @ref = "r1" });
        var error = await sender.ExpectErrorAsync("unknown_client");
        Assert.Equal("r1", error.GetProperty("ref").GetString());

        // A client on node 2 leaves: once node 0 told its clients, node 0 no longer relays to it.
        await leaver.SendJsonAsync(new { type = "leave" });
        await leaver.ExpectAsync("left");
        await Expect.ClientLeftAsync(sender, leaver.ClientId, "left");
        await Expect.ClientLeftAsync(remote, leaver.ClientId, "left");
        await sender.SendJsonAsync(new { type = "send", to = new[] { leaver.ClientId }, data = 2 });
        await sender.ExpectErrorAsync("unknown_client");
        await sender.SendBinaryAsync(Frames.SendTo(leaver.ClientId, [1, 2, 3]));
        await sender.ExpectErrorAsync("unknown_client");

        await remote.AssertNothingPendingAsync();
        await leaver.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Host_protocol_rules_hold_when_host_and_clients_are_on_different_nodes()
    {
        await using var room = await RoomHarness.CreateAsync(Nodes, protocol: "host", via: 1);
        var (host, member, peer) = (await room.JoinAsync(0), await room.JoinAsync(1), await room.JoinAsync(2));

        // A non-host's broadcast reaches the host only.
        await member.SendTextAsync("""{"type":"broadcast","data":{"to":"host"}}""");
        await Expect.MessageAsync(host, member.ClientId, """{"to":"host"}""");
        await member.SendBinaryAsync(Frames.Broadcast([9, 9]));
        Assert.Equal(Frames.Relayed(member.ClientId, [9, 9]), await host.ExpectBinaryAsync());
        await peer.AssertNothingPendingAsync();

        // A non-host may send to the host only.
        await member.SendJsonAsync(new { type = "send", to = new[] { peer.ClientId }, data = 1, @ref = "f" });
        Assert.Equal("f", (await member.ExpectErrorAsync("forbidden")).GetProperty("ref").GetString());
        await member.SendJsonAsync(new { type = "send", to = new[] { host.ClientId, peer.ClientId }, data = 2 });
        await member.ExpectErrorAsync("forbidden");
        await member.SendBinaryAsync(Frames.SendTo(peer.ClientId, [1]));
        await member.ExpectErrorAsync("forbidden");
        await member.SendJsonAsync(new { type = "send", to = new[] { host.ClientId, 77 }, data = 3 });
        await member.ExpectErrorAsync("unknown_client");
        await member.SendJsonAsync(new { type = "send", to = new[] { host.ClientId }, data = 4 });
        await Expect.MessageAsync(host, member.ClientId, "4");

        // The host reaches everyone, by broadcast or send.
        await host.SendTextAsync("""{"type":"broadcast","data":"all"}""");
        await Expect.MessageAsync(member, host.ClientId, "\"all\"");
        await Expect.MessageAsync(peer, host.ClientId, "\"all\"");
        await host.SendJsonAsync(new { type = "send", to = new[] { peer.ClientId }, data = 5 });
        await Expect.MessageAsync(peer, host.ClientId, "5");

        foreach (var client in new[] { host, member, peer })
        {
            await client.AssertNothingPendingAsync();
        }
    }

    [Fact]
    public async Task Messages_from_one_sender_arrive_in_order_on_other_nodes()
    {
        const int count = 200;
        await using var room = await RoomHarness.CreateAsync(Nodes);
        var (sender, broadcastOnly, everything) = (await room.JoinAsync(0), await room.JoinAsync(1), await room.JoinAsync(2));

        // Interleaved text broadcasts, binary broadcasts and targeted sends (to the client on node 2 only).
        for (var i = 0; i < count; i++)
        {
            switch (i % 3)
            {
                case 0:
                    var number = new byte[4];
                    BinaryPrimitives.WriteInt32BigEndian(number, i);
                    await sender.SendBinaryAsync(Frames.Broadcast(number));
                    break;
                case 1:
                    await sender.SendTextAsync($$"""{"type":"broadcast","data":{{i}}}""");
                    break;
                default:
                    await sender.SendTextAsync($$"""{"type":"send","to":[{{everything.ClientId}}],"data":{{i}}}""");
                    break;
            }
        }

        static async Task<List<int>> ReadAsync(TestClient client, int expected, int from)
        {
            var seen = new List<int>();
            while (seen.Count < expected)
            {
                var received = await client.ReceiveAsync();
                if (received.IsText)
                {
                    var json = received.Json;
                    Assert.True(Expect.TypeOf(json) == "message" && json.GetProperty("from").GetInt32() == from, $"unexpected {received.Text}");
                    seen.Add(json.GetProperty("data").GetInt32());
                }
                else
                {
                    Assert.Equal(from, BinaryPrimitives.ReadInt32BigEndian(received.Bytes));
                    seen.Add(BinaryPrimitives.ReadInt32BigEndian(received.Bytes.AsSpan(4)));
                }
            }

            return seen;
        }

        var all = Enumerable.Range(0, count).ToArray();
        Assert.Equal(all, await ReadAsync(everything, count, sender.ClientId));
        Assert.Equal(all.Where(i => i % 3 != 2), await ReadAsync(broadcastOnly, all.Count(i => i % 3 != 2), sender.ClientId));
        await everything.AssertNothingPendingAsync();
        await broadcastOnly.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Relays_and_backend_pushes_between_two_rooms_do_not_cross()
    {
        await using var red = await RoomHarness.CreateAsync(Nodes, via: 0);
        await using var blue = await RoomHarness.CreateAsync(Nodes, via: 2);
        var (redSender, redReceiver) = (await red.JoinAsync(0), await red.JoinAsync(1));
        var (blueSender, blueReceiver) = (await blue.JoinAsync(1), await blue.JoinAsync(0));

        await redSender.SendTextAsync("""{"type":"broadcast","data":"red"}""");
        await blueSender.SendTextAsync("""{"type":"broadcast","data":"blue"}""");
        using (var pushed = await Nodes[2].Api.PostJsonAsync($"/v1/api/rooms/{red.Id}/messages", JsonSerializer.Serialize(new { data = "red-push" })))
        {
            Assert.True(pushed.IsSuccessStatusCode, $"push: {(int)pushed.StatusCode}");
        }

        // Two senders (a client and the server): no order between them is promised.
        var atReceiver = new[] { (await redReceiver.ReceiveAsync()).TextWithoutSeq, (await redReceiver.ReceiveAsync()).TextWithoutSeq };
        Assert.Equal(
            new[] { "{\"type\":\"message\",\"from\":0,\"data\":\"red-push\"}", $"{{\"type\":\"message\",\"from\":{redSender.ClientId},\"data\":\"red\"}}" },
            atReceiver.Order(StringComparer.Ordinal));
        await Expect.MessageAsync(redSender, 0, "\"red-push\"");
        await Expect.MessageAsync(blueReceiver, blueSender.ClientId, "\"blue\"");
        foreach (var client in new[] { redSender, redReceiver, blueSender, blueReceiver })
        {
            await client.AssertNothingPendingAsync();
        }
    }
}
