using Relay.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Chaos;

/// <summary>
/// A room whose clients are all on one node needs nobody else: its relays need not cross Redis. Measured with Redis'
/// own command statistics; then a client joins on another node and from that moment on the relays reach it, in order.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", ChaosCollection.Category)]
public sealed class LocalRoomTests(ITestOutputHelper output)
{
    private const int LocalRelays = 200;

    /// <summary>Publishes a room with no remote member may still cost (a constant, not one per relay).</summary>
    private const int PublishAllowance = 10;

    private const int RelaysAfterJoin = 100;

    [Fact]
    public async Task A_room_local_to_one_node_publishes_no_relays_until_a_client_joins_elsewhere_and_then_relays_reach_it_in_order()
    {
        var promises = new PromiseLog(output);
        await using var cluster = await ChaosCluster.StartAsync(output, 2);
        var (home, other) = (cluster[0], cluster[1]);
        // Resume off: a sequenced room's relays always take their number from Redis (its shared sequence and history),
        // so only a room without resume can keep a one-node room's relays off Redis.
        await using var room = await ChaosRoom.CreateAsync(home, resumeWindowSeconds: 0);
        var (sender, first, second) = (await room.JoinAsync(home), await room.JoinAsync(home), await room.JoinAsync(home));

        var before = await PublishesAsync(cluster.Redis);
        for (var i = 1; i <= LocalRelays; i++)
        {
            await sender.BroadcastAsync(Numbered.Data("local", i));
        }

        foreach (var receiver in new[] { first, second })
        {
            await receiver.WaitUntilAsync(
                () => Numbered.Of(receiver.RelaysFrom(sender.ClientId), "local").Count >= LocalRelays, Bounds.Converge, $"the {LocalRelays} local relays");
            var got = Numbered.Of(receiver.RelaysFrom(sender.ClientId), "local");
            Assert.True(Numbered.IsRun(got, 1, LocalRelays), $"{receiver} got {Numbered.Describe(got)}");
        }

        var published = await PublishesAsync(cluster.Redis) - before;
        promises.Keep(
            $"{LocalRelays} relays in a room local to {home.NodeId} cost at most {PublishAllowance} Redis publishes",
            published <= PublishAllowance,
            $"{published} publishes (INFO commandstats)");

        // A client joins on the other node while the sender keeps sending.
        await using var chatter = Chatter.Start(sender, "mixed", TimeSpan.FromMilliseconds(20));
        var remote = await room.OpenAsync(other, "remote");
        var answer = await remote.ConnectAsync(room.Id, room.Room.Secret, Bounds.Answer);
        Assert.Equal("connected", answer.GetProperty("type").GetString());
        await sender.WaitUntilAsync(() => sender.View.Contains(remote.ClientId), Bounds.Converge, "client_joined of the remote client");
        var firstAfterJoin = chatter.Sent + 1; // sent after the sender was told of the join: must reach the newcomer
        room.Admit(remote);
        await Eventually.HoldsAsync(
            () => Task.FromResult((chatter.Sent >= firstAfterJoin + RelaysAfterJoin, $"sent {chatter.Sent}")),
            Bounds.Converge,
            "the sender's relays after the join");
        var last = await chatter.StopAsync();

        await promises.KeepAsync(
            $"the remote client gets every relay sent after its join was announced ({firstAfterJoin}-{last}), in order, without a gap",
            async () =>
            {
                await remote.WaitUntilAsync(() => Numbered.Of(remote.RelaysFrom(sender.ClientId), "mixed").Contains(last), Bounds.Converge, $"relay mixed:{last}");
                var got = Numbered.Of(remote.RelaysFrom(sender.ClientId), "mixed");
                Assert.True(got.Count > 0 && got[0] <= firstAfterJoin && Numbered.IsRun(got, got[0], last), $"got {Numbered.Describe(got)}");
            });
        await promises.KeepAsync("the local members still get every relay, in order", async () =>
        {
            foreach (var receiver in new[] { first, second })
            {
                await receiver.WaitUntilAsync(() => Numbered.Of(receiver.RelaysFrom(sender.ClientId), "mixed").Contains(last), Bounds.Converge, $"relay mixed:{last}");
                var got = Numbered.Of(receiver.RelaysFrom(sender.ClientId), "mixed");
                Assert.True(Numbered.IsRun(got, 1, last), $"{receiver} got {Numbered.Describe(got)}");
            }
        });
        await promises.KeepAsync("relays from the remote client reach the home node's members", async () =>
        {
            await remote.BroadcastAsync("from-remote");
            foreach (var receiver in new[] { sender, first, second })
            {
                await receiver.WaitUntilAsync(() => receiver.RelaysFrom(remote.ClientId).Contains("from-remote"), Bounds.Converge, "the remote client's relay");
            }
        });
        await promises.KeepAsync("both nodes and every member agree on the room", () => room.ConvergedAsync(cluster.Nodes, Bounds.Converge));
        cluster.KeepNoNodeExited(promises);
        promises.AssertAllKept();
    }

    /// <summary>PUBLISH and SPUBLISH calls so far (commands run by scripts included).</summary>
    private static async Task<long> PublishesAsync(RedisServer redis)
    {
        var calls = await redis.CommandCallsAsync();
        return calls.GetValueOrDefault("publish") + calls.GetValueOrDefault("spublish");
    }
}
