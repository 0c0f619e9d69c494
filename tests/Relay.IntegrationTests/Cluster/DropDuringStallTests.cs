using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Relay.Application.Rooms.Membership;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Resume;

namespace Relay.IntegrationTests.Cluster;

/// <summary>
/// A resumable client drops while its node cannot reach Redis (the node's own link to Redis is stalled by a proxy;
/// the other node's is not). Its seat is not lost: it becomes away once its node reaches Redis again, or, if it came
/// back on the other node meanwhile, it stays there. (Both were lost: the node gave the seat back as a departure when
/// Redis answered again, even after the client had resumed elsewhere. Found by `ResumeFloodTests` on a loaded CI host.)
/// </summary>
public sealed class DropDuringStallTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private TcpProxy _proxy = null!;
    private RelayServer _stalled = null!;
    private RelayServer _other = null!;
    private TestClient _witness = null!;
    private ResumeClient _dropper = null!;

    public async Task InitializeAsync()
    {
        var redis = await RedisServer.SharedAsync();
        _proxy = new TcpProxy(new Uri($"tcp://127.0.0.1:{redis.Port}"));
        var prefix = RelayCluster.NewKeyPrefix();
        // A heartbeat long enough that the other node never takes the stalled one for dead (which would make the
        // client away itself): what is tested is what the stalled node does with the seat.
        var heartbeat = ("Relay:Redis:HeartbeatSeconds", "20");
        _stalled = await RelayServer.StartAsync(RelayCluster.NodeSettings(
            redis,
            prefix,
            ("Relay:Redis:NodeId", "node-0"),
            ("Relay:Redis:ConnectionString", $"127.0.0.1:{_proxy.Address.Port},connectTimeout=2000,asyncTimeout=2000,abortConnect=false"),
            heartbeat));
        _other = await RelayServer.StartAsync(RelayCluster.NodeSettings(redis, prefix, ("Relay:Redis:NodeId", "node-1"), heartbeat));
        var room = await _other.Api.CreateRoomAsync();
        _witness = await _other.ConnectClientAsync();
        await _witness.JoinAsync(room.Id, room.Secret, "witness");
        (_dropper, _) = await ResumeClient.JoinAsync(_stalled, room.Id, room.Secret, "dropper");
        await EventAboutAsync(_witness, "client_joined", _dropper.ClientId);
    }

    public async Task DisposeAsync()
    {
        _proxy.Release();
        await _dropper.DisposeAsync();
        await _witness.DisposeAsync();
        await _stalled.DisposeAsync();
        await _other.DisposeAsync();
        await _proxy.DisposeAsync();
    }

    [Fact]
    public async Task It_is_away_once_its_node_reaches_redis_again_and_can_resume()
    {
        await DropWhileStalledAsync();

        _proxy.Release();

        await EventAboutAsync(_witness, "client_away", _dropper.ClientId);
        var resumed = await _dropper.ResumeAsync(via: _other);
        Assert.Equal(_dropper.ClientId, resumed.GetProperty("clientId").GetInt32());
        await EventAboutAsync(_witness, "client_back", _dropper.ClientId);
        await AssertSeatedAsync();
    }

    [Fact]
    public async Task It_keeps_the_seat_it_resumed_on_another_node_when_its_old_node_reaches_redis_again()
    {
        await DropWhileStalledAsync();
        var resumed = await _dropper.ResumeAsync(via: _other);
        Assert.Equal(_dropper.ClientId, resumed.GetProperty("clientId").GetInt32());

        _proxy.Release();
        await Eventually.StatusAsync(_stalled.Http, "/readyz", HttpStatusCode.OK, Bound);
        await Eventually.TrueAsync(() => Task.FromResult(OrphansOf(_stalled).Count == 0), Bound, "the stalled node done with the seat it could not give back");

        await AssertSeatedAsync();
    }

    /// <summary>Stalls the first node's link to Redis, waits until it knows, and drops the client there (no close frame).</summary>
    private async Task DropWhileStalledAsync()
    {
        _proxy.Stall();
        await Eventually.StatusAsync(_stalled.Http, "/readyz", HttpStatusCode.ServiceUnavailable, Bound);
        _dropper.Drop();
        await Eventually.TrueAsync(() => Task.FromResult(OrphansOf(_stalled).Count == 1), Bound, "the stalled node noting the seat it could not change");
    }

    /// <summary>
    /// The dropper is in the room on both nodes, and live: the witness's message reaches it, its broadcast reaches the
    /// witness, and the witness never heard that it left.
    /// </summary>
    private async Task AssertSeatedAsync()
    {
        foreach (var node in new[] { _stalled, _other })
        {
            await Eventually.HoldsAsync(
                async () =>
                {
                    var read = await node.Api.GetJsonAsync($"/v1/api/rooms/{_dropper.RoomId}");
                    var ids = string.Join(",", read.GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("clientId").GetInt32()));
                    return (ids == $"{_witness.ClientId},{_dropper.ClientId}", $"clients [{ids}]");
                },
                Bound,
                "both clients listed");
        }

        await _witness.SendJsonAsync(new { type = "send", to = new[] { _dropper.ClientId }, data = "to you" });
        var message = await UntilAsync(() => _dropper.NextEventAsync(), "message");
        Assert.Equal("to you", message.GetProperty("data").GetString());
        await _dropper.Connection.SendJsonAsync(new { type = "broadcast", data = "still here" });
        var heard = await UntilAsync(async () => (await _witness.ReceiveAsync()).Json, "message");
        Assert.Equal("still here", heard.GetProperty("data").GetString());
    }

    private static Orphans OrphansOf(RelayServer node) => node.Services.GetRequiredService<Orphans>();

    /// <summary>Skips events until one of <paramref name="type"/> about <paramref name="clientId"/>.</summary>
    private static Task<JsonElement> EventAboutAsync(TestClient client, string type, int clientId) =>
        UntilAsync(async () => (await client.ReceiveAsync(Bound)).Json, type, clientId);

    /// <summary>Skips events until one of <paramref name="type"/>; a `client_left` on the way fails the test.</summary>
    private static async Task<JsonElement> UntilAsync(Func<Task<JsonElement>> next, string type, int? clientId = null)
    {
        while (true)
        {
            var json = await next();
            var seen = json.GetProperty("type").GetString();
            Assert.True(seen != "client_left" || type == "client_left", $"no one left, but got {json.GetRawText()}");
            if (seen == type && (clientId is null || json.GetProperty("clientId").GetInt32() == clientId))
            {
                return json;
            }
        }
    }
}
