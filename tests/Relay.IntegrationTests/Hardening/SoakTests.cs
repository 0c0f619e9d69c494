using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Hardening;

/// <summary>
/// The soak test: thousands of connect, join, relay, leave and abrupt-disconnect cycles against the real
/// server. Afterwards nobody is left in a room, the emptied rooms expire, and managed memory is back near
/// where it stood after warm-up.
/// </summary>
[Collection(SoloCollection.Name)]
public sealed class SoakTests(ITestOutputHelper output)
{
    private const int Rooms = 12;
    private const int Workers = 16;
    private const int WarmUpCycles = 400;
    private const int Cycles = 5000;

    [Fact]
    public async Task Thousands_of_join_relay_leave_cycles_leave_no_clients_rooms_or_memory_behind()
    {
        await using var server = await RelayServer.StartAsync(
            ("Relay:EmptyRoomTtlSeconds", "3"), // long enough that no room expires while the cycles still use it
            ("Relay:RateLimit:MessagesPerSecond", "1000000"),
            ("Relay:RateLimit:Burst", "1000000"));
        var rooms = new CreatedRoom[Rooms];
        for (var i = 0; i < Rooms; i++)
        {
            rooms[i] = await server.Api.CreateRoomAsync("""{"maxClients": 100}""");
        }

        await RunCyclesAsync(server, rooms, WarmUpCycles, seed: 1);
        await WaitForNoClientsAsync(server);
        var baseline = ManagedBytes();

        var started = DateTime.UtcNow;
        var relayed = await RunCyclesAsync(server, rooms, Cycles, seed: 2);
        var elapsed = DateTime.UtcNow - started;
        await WaitForNoClientsAsync(server);

        // Every room is empty now; each expires after its TTL.
        await WaitUntilAsync(async () => (await server.Api.GetJsonAsync("/v1/api/summary")).GetProperty("rooms").GetInt32() == 0, TimeSpan.FromSeconds(20));
        var after = ManagedBytes();

        output.WriteLine(
            $"soak: {Cycles} cycles ({relayed} relayed messages) in {elapsed.TotalSeconds:F1} s; managed memory after warm-up {baseline / 1024 / 1024.0:F1} MiB, after the soak {after / 1024 / 1024.0:F1} MiB");
        Assert.True(after - baseline < 8 * 1024 * 1024, $"managed memory grew from {baseline} to {after} bytes");
    }

    /// <summary>Runs <paramref name="cycles"/> cycles over <see cref="Workers"/> concurrent workers; returns relayed messages seen.</summary>
    private static async Task<int> RunCyclesAsync(RelayServer server, CreatedRoom[] rooms, int cycles, int seed)
    {
        var next = -1;
        var relayed = 0;
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed * 1000 + w);
            while (Interlocked.Increment(ref next) < cycles)
            {
                var room = rooms[random.Next(rooms.Length)];
                await using var client = await server.ConnectClientAsync();
                await client.JoinAsync(room.Id, room.Secret, $"soak-{w}");
                await client.SendJsonAsync(new { type = "broadcast", data = new { w, payload = new string('s', random.Next(16, 512)) } });
                if (random.Next(3) == 0)
                {
                    client.Abort();
                    continue;
                }

                await client.SendJsonAsync(new { type = "leave", @ref = "bye" });
                await SkipUntilAsync(client, "left", m => Interlocked.Increment(ref relayed));
                await client.CloseAsync();
                await client.WaitForCloseAsync();
            }
        })).ToArray();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(4));
        return relayed;
    }

    private static async Task SkipUntilAsync(TestClient client, string type, Action<JsonElement> onMessage)
    {
        while (true)
        {
            var json = await client.ReceiveJsonAsync();
            var received = json.GetProperty("type").GetString();
            if (received == type)
            {
                return;
            }

            if (received == "message")
            {
                onMessage(json);
            }
        }
    }

    private static async Task WaitForNoClientsAsync(RelayServer server) =>
        await WaitUntilAsync(async () => (await server.Api.GetJsonAsync("/v1/api/summary")).GetProperty("clients").GetInt32() == 0, TimeSpan.FromSeconds(20));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"condition not met within {limit.TotalSeconds} s");
            await Task.Delay(100);
        }
    }

    private static long ManagedBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
