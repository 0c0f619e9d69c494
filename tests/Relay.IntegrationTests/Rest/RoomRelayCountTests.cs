using System.Net;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Rest;

/// <summary>
/// A room's `messagesRelayed`: each relay accepted in the room (broadcast, send, binary, REST push) counted once, not
/// once per recipient, and in no other room; shown by every read of the room. A single node counts at once; in a
/// cluster (the suite's cluster pass) the other nodes' relays arrive with their heartbeat, so reads are polled there.
/// </summary>
public sealed class RoomRelayCountTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private static readonly TimeSpan Convergence = TimeSpan.FromSeconds(15);

    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task A_room_counts_each_relay_accepted_in_it_once_and_another_room_only_its_own()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);
        await using var other = await RoomHarness.CreateAsync(Server, clients: 2);
        var (alice, bob, carol) = (room[0], room[1], room[2]);
        Assert.Equal(0, room.Room.Body.GetProperty("messagesRelayed").GetInt64());

        // 3 broadcasts (each to 2 clients), 2 sends, a binary broadcast and a REST push (to 3): 7 relays.
        for (var i = 0; i < 3; i++)
        {
            await alice.SendJsonAsync(new { type = "broadcast", data = i });
            await bob.ExpectAsync("message");
            await carol.ExpectAsync("message");
        }

        for (var i = 0; i < 2; i++)
        {
            await bob.SendJsonAsync(new { type = "send", to = new[] { alice.ClientId }, data = i });
            await alice.ExpectAsync("message");
        }

        await carol.SendBinaryAsync([0x00, 0x68, 0x69]);
        await alice.ExpectBinaryAsync();
        await bob.ExpectBinaryAsync();
        using (var pushed = await Server.Api.PostJsonAsync($"/v1/api/rooms/{room.Id}/messages", """{"data":"to all"}"""))
        {
            Assert.Equal(HttpStatusCode.Accepted, pushed.StatusCode);
        }

        foreach (var member in new[] { alice, bob, carol })
        {
            await member.ExpectAsync("message");
        }

        // A refused relay counts nowhere.
        await bob.SendJsonAsync(new { type = "send", to = new[] { 99 }, data = 0 });
        await bob.ExpectErrorAsync("unknown_client");

        await other[0].SendJsonAsync(new { type = "broadcast", data = "elsewhere" });
        await other[1].ExpectAsync("message");

        Assert.Equal(7, await CountAsync(() => Server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}"), 7, "GET room"));
        Assert.Equal(1, await CountAsync(() => Server.Api.GetJsonAsync($"/v1/api/rooms/{other.Id}"), 1, "GET the other room"));
        Assert.Equal(7, await CountAsync(() => ListedAsync(room.Id), 7, "the room's list item"));
        Assert.Equal(7, await CountAsync(() => UpdateAsync(room.Id), 7, "the PATCH answer"));
    }

    /// <summary>
    /// The `messagesRelayed` of what <paramref name="read"/> answers once it is at least <paramref name="expected"/>: the
    /// first answer on a single node, polled (bounded) in a cluster, where other nodes' relays arrive with their heartbeat.
    /// </summary>
    private static async Task<long> CountAsync(Func<Task<JsonElement>> read, long expected, string what)
    {
        var room = await Eventually.ValueAsync(
            read,
            r => !RelayServer.ClusterTopology || r.GetProperty("messagesRelayed").GetInt64() >= expected,
            Convergence,
            $"{what} counting {expected} relays");
        return room.GetProperty("messagesRelayed").GetInt64();
    }

    /// <summary>The list item of room <paramref name="id"/> (every page read).</summary>
    private async Task<JsonElement> ListedAsync(string id)
    {
        for (var offset = 0; ; offset += 500)
        {
            var page = await Server.Api.GetJsonAsync($"/v1/api/rooms?offset={offset}&limit=500");
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                if (item.GetProperty("id").GetString() == id)
                {
                    return item.Clone();
                }
            }

            Assert.True(page.GetProperty("items").GetArrayLength() == 500, $"room {id} is not listed");
        }
    }

    /// <summary>A PATCH that changes nothing: its answer, the room.</summary>
    private async Task<JsonElement> UpdateAsync(string id)
    {
        using var response = await Server.Api.PatchJsonAsync($"/v1/api/rooms/{id}", """{"locked":false}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await RelayApi.ReadJsonAsync(response);
    }
}
