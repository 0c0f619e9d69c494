using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Hardening;

/// <summary>
/// The soak test: thousands of connect, join, relay, leave and abrupt-disconnect cycles against the real
/// server, while one listener per room stays and counts what is relayed to it. Every broadcast reaches its room's
/// listener; afterwards nobody is left in a room, the emptied rooms expire, and managed memory is back near where
/// it stood after warm-up.
/// </summary>
[Collection(SoloCollection.Name)]
public sealed class SoakTests(ITestOutputHelper output)
{
    private const int Rooms = 12;
    private const int Workers = 16;
    private const int WarmUpCycles = 400;
    private const int Cycles = 5000;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Thousands_of_join_relay_leave_cycles_relay_every_broadcast_and_leave_no_clients_rooms_or_memory_behind()
    {
        await using var server = await RelayServer.StartAsync(
            ("Relay:EmptyRoomTtlSeconds", "3"), // long enough that no room expires while the cycles still use it
            ("Relay:RateLimit:MessagesPerSecond", "1000000"),
            ("Relay:RateLimit:Burst", "1000000"));
        var rooms = new CreatedRoom[Rooms];
        var listeners = new Listener[Rooms];
        for (var i = 0; i < Rooms; i++)
        {
            rooms[i] = await server.Api.CreateRoomAsync("""{"maxClients": 100}""");
            listeners[i] = await Listener.JoinAsync(server, rooms[i]);
        }

        var broadcasts = new int[Rooms];
        await RunCyclesAsync(server, rooms, broadcasts, WarmUpCycles, seed: 1);
        await WaitForClientsAsync(server, Rooms);
        var baseline = ManagedBytes();

        var started = DateTime.UtcNow;
        var relayed = await RunCyclesAsync(server, rooms, broadcasts, Cycles, seed: 2);
        var elapsed = DateTime.UtcNow - started;

        // Every broadcast the server took (each was followed by a ping answered after it) reached its room's
        // listener, and the server counted each once.
        for (var i = 0; i < Rooms; i++)
        {
            var listener = listeners[i];
            var expected = broadcasts[i];
            await Eventually.HoldsAsync(
                () => Task.FromResult((listener.Messages == expected, $"{listener.Messages} of {expected}")),
                Settle,
                $"room {i}'s listener receiving every broadcast");
        }

        Assert.Equal(WarmUpCycles + Cycles, broadcasts.Sum());
        await Eventually.HoldsAsync(
            async () =>
            {
                var counted = (await server.Api.GetJsonAsync("/v1/api/summary")).GetProperty("messagesRelayed").GetInt64();
                return (counted == WarmUpCycles + Cycles, $"messagesRelayed {counted}");
            },
            Settle,
            "the summary counting every broadcast once");
        foreach (var listener in listeners)
        {
            await listener.LeaveAsync();
        }

        await WaitForClientsAsync(server, 0);

        // Every room is empty now; each expires after its TTL.
        await Eventually.TrueAsync(
            async () => (await server.Api.GetJsonAsync("/v1/api/summary")).GetProperty("rooms").GetInt32() == 0,
            TimeSpan.FromSeconds(20),
            "every emptied room expired");
        var after = ManagedBytes();

        output.WriteLine(
            $"soak: {Cycles} cycles ({relayed} relayed messages seen by cycling clients) in {elapsed.TotalSeconds:F1} s; managed memory after warm-up {baseline / 1024 / 1024.0:F1} MiB, after the soak {after / 1024 / 1024.0:F1} MiB");
        Assert.True(after - baseline < 8 * 1024 * 1024, $"managed memory grew from {baseline} to {after} bytes");
    }

    /// <summary>
    /// Runs <paramref name="cycles"/> cycles over <see cref="Workers"/> concurrent workers, counting in
    /// <paramref name="broadcasts"/> each room's broadcasts the server took; returns the relayed messages the cycling
    /// clients happened to see from each other.
    /// </summary>
    private static async Task<int> RunCyclesAsync(RelayServer server, CreatedRoom[] rooms, int[] broadcasts, int cycles, int seed)
    {
        var next = -1;
        var relayed = 0;
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed * 1000 + w);
            int cycle;
            while ((cycle = Interlocked.Increment(ref next)) < cycles)
            {
                var index = random.Next(rooms.Length);
                var room = rooms[index];
                await using var client = await server.ConnectClientAsync();
                await client.JoinAsync(room.Id, room.Secret, $"soak-{w}");
                await client.SendJsonAsync(new { type = "broadcast", data = new { w, payload = new string('s', random.Next(16, 512)) } });

                // A connection's messages are handled in order: the pong proves the broadcast was taken.
                var barrier = $"soak-{seed}-{cycle}";
                await client.SendJsonAsync(new { type = "ping", @ref = barrier });
                await SkipUntilAsync(client, m => Type(m) == "pong" && m.GetProperty("ref").GetString() == barrier, () => Interlocked.Increment(ref relayed));
                Interlocked.Increment(ref broadcasts[index]);
                if (random.Next(3) == 0)
                {
                    client.Abort();
                    continue;
                }

                await client.SendJsonAsync(new { type = "leave", @ref = "bye" });
                await SkipUntilAsync(client, m => Type(m) == "left", () => Interlocked.Increment(ref relayed));
                await client.CloseAsync();
                await client.WaitForCloseAsync();
            }
        })).ToArray();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(4));
        return relayed;
    }

    private static string? Type(JsonElement message) => message.GetProperty("type").GetString();

    /// <summary>Reads until a message matching <paramref name="until"/>; calls <paramref name="onRelayed"/> for each relayed `message` before it.</summary>
    private static async Task SkipUntilAsync(TestClient client, Func<JsonElement, bool> until, Action onRelayed)
    {
        while (true)
        {
            var json = await client.ReceiveJsonAsync();
            if (until(json))
            {
                return;
            }

            if (Type(json) == "message")
            {
                onRelayed();
            }
        }
    }

    private static Task WaitForClientsAsync(RelayServer server, int clients) =>
        Eventually.TrueAsync(
            async () => (await server.Api.GetJsonAsync("/v1/api/summary")).GetProperty("clients").GetInt32() == clients,
            TimeSpan.FromSeconds(20),
            $"{clients} clients left in rooms");

    private static long ManagedBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>A client that stays in one room for the whole soak and counts the relayed messages it receives.</summary>
    private sealed class Listener
    {
        private readonly TestClient _client;
        private readonly Task _reading;
        private int _messages;

        private Listener(TestClient client)
        {
            _client = client;
            _reading = Task.Run(ReadAsync);
        }

        public int Messages => Volatile.Read(ref _messages);

        public static async Task<Listener> JoinAsync(RelayServer server, CreatedRoom room)
        {
            var client = await server.ConnectClientAsync();
            await client.JoinAsync(room.Id, room.Secret, "listener");
            return new Listener(client);
        }

        /// <summary>Leaves the room (the reader stops at `left`) and closes.</summary>
        public async Task LeaveAsync()
        {
            await _client.SendJsonAsync(new { type = "leave" });
            await _reading.WaitAsync(TimeSpan.FromMinutes(1));
            await _client.CloseAsync();
            await _client.WaitForCloseAsync();
            await _client.DisposeAsync();
        }

        private async Task ReadAsync()
        {
            while (true)
            {
                // Generous: the soak pauses between its phases (settling, measuring memory) without a message.
                var json = await _client.ReceiveJsonAsync(TimeSpan.FromMinutes(5));
                switch (Type(json))
                {
                    case "message":
                        Interlocked.Increment(ref _messages);
                        break;
                    case "left":
                        return;
                }
            }
        }
    }
}
