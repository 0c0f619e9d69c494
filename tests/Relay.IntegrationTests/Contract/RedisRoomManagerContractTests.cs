using System.Text;
using Relay.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace Relay.IntegrationTests.Contract;

/// <summary>
/// The room-manager contract on the Redis backplane: two nodes of one cluster (a fresh key prefix per test) on the
/// shared redis-server. Changes go through node 0's manager, <c>Peer</c> is node 1's. Adds what only a shared store
/// can break: secrets written in clear, keys outside the prefix.
/// </summary>
public sealed class RedisRoomManagerContractTests : RoomManagerContract
{
    private RedisServer _redis = null!;
    private string _prefix = null!;

    protected override async Task<IReadOnlyList<RelayServer>> StartServersAsync()
    {
        _redis = await RedisServer.SharedAsync();
        _prefix = RelayCluster.NewKeyPrefix();
        var first = await RelayServer.StartAsync(RelayCluster.NodeSettings(_redis, _prefix, ("Relay:Redis:NodeId", "contract-a")));
        try
        {
            return [first, await RelayServer.StartAsync(RelayCluster.NodeSettings(_redis, _prefix, ("Relay:Redis:NodeId", "contract-b")))];
        }
        catch
        {
            await first.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task Neither_secret_is_written_to_redis_in_clear()
    {
        var secret = $"clear-secret-{Guid.NewGuid():N}";
        var created = await CreateAsync(Spec(id: "secretive", secret: secret));
        await using var client = await Server.ConnectClientAsync();
        await client.JoinAsync("secretive", created.HostSecret, "host");

        await using var connection = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var database = connection.GetDatabase();
        var keys = 0;
        await foreach (var key in server.KeysAsync(pattern: _prefix + "*", pageSize: 500))
        {
            keys++;
            var texts = new List<byte[]> { ((byte[]?)key)! };
            texts.AddRange(await ValuesAsync(database, key));
            foreach (var text in texts)
            {
                Assert.False(Contains(text, secret), $"key '{key}' holds the room secret in clear");
                Assert.False(Contains(text, created.HostSecret), $"key '{key}' holds the host secret in clear");
            }
        }

        Assert.True(keys > 0, $"no key under the prefix '{_prefix}': where is the room kept?");
    }

    [Fact]
    public async Task Every_key_and_channel_is_under_a_key_prefix()
    {
        await CreateAsync(Spec(id: "prefixed"));

        // Every cluster of this test run uses a prefix from RelayCluster.NewKeyPrefix, on the shared server.
        await using var connection = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var ours = 0;
        await foreach (var key in server.KeysAsync(pattern: "*", pageSize: 500))
        {
            var name = key.ToString();
            Assert.StartsWith("relay-test-", name, StringComparison.Ordinal);
            if (name.StartsWith(_prefix, StringComparison.Ordinal))
            {
                ours++;
            }
        }

        Assert.True(ours > 0, $"no key under the prefix '{_prefix}'");
        foreach (var channel in await server.SubscriptionChannelsAsync(RedisChannel.Pattern("*")))
        {
            // StackExchange.Redis's own configuration channel, which every connection (this test's too) subscribes to.
            if (channel.ToString() == "__Booksleeve_MasterChanged")
            {
                continue;
            }

            Assert.StartsWith("relay-test-", channel.ToString(), StringComparison.Ordinal);
        }
    }

    private static async Task<IEnumerable<byte[]>> ValuesAsync(IDatabase database, RedisKey key)
    {
        var type = await database.KeyTypeAsync(key);
        IEnumerable<RedisValue> values = type switch
        {
            RedisType.String => [await database.StringGetAsync(key)],
            RedisType.Hash => (await database.HashGetAllAsync(key)).SelectMany(e => new[] { e.Name, e.Value }),
            RedisType.List => await database.ListRangeAsync(key),
            RedisType.Set => await database.SetMembersAsync(key),
            RedisType.SortedSet => await database.SortedSetRangeByRankAsync(key),
            RedisType.Stream => (await database.StreamRangeAsync(key)).SelectMany(e => e.Values).SelectMany(v => new[] { v.Name, v.Value }),
            _ => [],
        };
        return values.Where(v => !v.IsNull).Select(v => (byte[])v!).ToArray();
    }

    private static bool Contains(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;
}
