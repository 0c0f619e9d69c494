using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Resume;

/// <summary>
/// Exactly once, in order, under load: several senders flood a room while a resumable receiver drops (no close
/// frame) and comes back again and again; it must see every message exactly once, in strictly increasing seq, and
/// each sender's messages in the order sent. Every room event type is replayed to a client that missed it.
/// </summary>
public sealed class ResumeFloodTests
{
    private const int Senders = 3;
    private const int PerSender = 600;
    private const int Drops = 4;

    [Fact]
    public async Task A_receiver_that_keeps_dropping_during_a_flood_gets_every_message_once_in_order()
    {
        await using var server = await RelayServer.StartAsync(
            ("Relay:RateLimit:MessagesPerSecond", "100000"),
            ("Relay:RateLimit:Burst", "100000"),
            ("Relay:Resume:HistoryMessages", "100000"),
            ("Relay:Resume:HistoryBytes", "100000000"),
            // The receiver reads as fast as it can, but a cluster node may hand it the whole flood at once (Redis
            // delivers the numbered relays in bursts): queues large enough that it is never a slow consumer (4004),
            // which is not what this test is about.
            ("Relay:SendQueue:MaxMessages", "100000"),
            ("Relay:SendQueue:MaxBytes", "100000000"));
        var room = await server.Api.CreateRoomAsync("""{"maxClients":10}""");
        var (receiver, _) = await ResumeClient.JoinAsync(server, room.Id, room.Secret, "receiver");
        await using var receiverScope = receiver;
        var senders = new List<TestClient>();
        for (var i = 0; i < Senders; i++)
        {
            var sender = await server.ConnectClientAsync();
            await sender.JoinAsync(room.Id, room.Secret, $"s{i}");
            senders.Add(sender);
        }

        // A send the server refused (`unavailable`: a loaded cluster node found Redis too slow) was not accepted; every
        // accepted one must arrive, once, in order. Each sender's refusals are read beside the flood.
        var refused = new System.Collections.Concurrent.ConcurrentDictionary<(int From, int Data), bool>();
        var done = new CancellationTokenSource();
        var readers = senders.Select(sender => Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                Received received;
                try
                {
                    received = await sender.ReceiveAsync(TimeSpan.FromSeconds(1));
                }
                catch (Xunit.Sdk.XunitException)
                {
                    continue;
                }

                var json = received.IsText ? received.Json : default;
                if (received.IsText && Expect.TypeOf(json) == "error")
                {
                    refused[(sender.ClientId, json.GetProperty("ref").GetInt32())] = true;
                }
            }
        })).ToArray();

        var last = new Dictionary<int, int>();
        var trace = new List<string>();
        var messages = 0;
        var drops = 0;
        var quiet = 0;
        var floods = senders.Select(async sender =>
        {
            for (var i = 0; i < PerSender; i++)
            {
                await sender.SendJsonAsync(new { type = "send", to = new[] { receiver.ClientId }, data = i, @ref = i });
            }
        }).ToArray();

        while (messages + refused.Count < Senders * PerSender)
        {
            if (drops < Drops && messages >= (drops + 1) * Senders * PerSender / (Drops + 1))
            {
                drops++;
                receiver.Drop();
                var before = receiver.Seq;
                JsonElement resumed;
                try
                {
                    resumed = await receiver.ResumeAsync();
                }
                catch (Xunit.Sdk.XunitException e)
                {
                    var seats = (await server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}")).GetRawText();
                    throw new Xunit.Sdk.XunitException($"drop {drops} after seq {before}: {e.Message}; the room: {seats}; {string.Join(" | ", trace.TakeLast(10))}");
                }

                trace.Add($"resume after {before}: missed {resumed.GetProperty("missed").GetInt32()}");
            }

            JsonElement message;
            try
            {
                message = await receiver.NextEventAsync(TimeSpan.FromSeconds(2));
            }
            catch (Xunit.Sdk.XunitException e) when (floods.All(f => f.IsCompleted))
            {
                // The flood is over and refusals are still being read; bounded: what never comes is a failure.
                quiet++;
                Assert.True(
                    quiet < 15,
                    $"{messages} messages and {refused.Count} refusals of {Senders * PerSender}, nothing for 30 s ({e.Message}); {string.Join(" | ", trace.TakeLast(30))}");
                continue;
            }

            quiet = 0;

            if (Expect.TypeOf(message) != "message")
            {
                continue; // client_joined of the senders
            }

            var from = message.GetProperty("from").GetInt32();
            var data = message.GetProperty("data").GetInt32();
            trace.Add($"{message.GetProperty("seq").GetInt64()}: {from}/{data}");
            var previous = last.GetValueOrDefault(from, -1);
            Assert.True(data > previous, $"from {from}: {data} after {previous} (repeated or out of order); {string.Join(" | ", trace.TakeLast(30))}");
            for (var skipped = previous + 1; skipped < data; skipped++)
            {
                Assert.True(refused.ContainsKey((from, skipped)) || await RefusedSoonAsync(refused, from, skipped), $"from {from}: {skipped} was accepted but never arrived; {string.Join(" | ", trace.TakeLast(30))}");
            }

            last[from] = data;
            messages++;
        }

        await Task.WhenAll(floods);
        done.Cancel();
        await Task.WhenAll(readers);
        Assert.Equal(Drops, drops);
        Assert.Equal(Senders * PerSender, messages + refused.Count);
        await receiver.Connection.AssertNothingPendingAsync();
        foreach (var sender in senders)
        {
            await sender.DisposeAsync();
        }
    }

    /// <summary>A refusal may be read a moment after the next message arrived: wait for it, bounded.</summary>
    private static async Task<bool> RefusedSoonAsync(System.Collections.Concurrent.ConcurrentDictionary<(int From, int Data), bool> refused, int from, int data)
    {
        for (var i = 0; i < 100 && !refused.ContainsKey((from, data)); i++)
        {
            await Task.Delay(50);
        }

        return refused.ContainsKey((from, data));
    }

    [Fact]
    public async Task Every_room_event_it_missed_is_replayed_as_it_would_have_been_sent()
    {
        await using var server = await RelayServer.StartAsync();
        var room = await server.Api.CreateRoomAsync();
        var (watcher, _) = await ResumeClient.JoinAsync(server, room.Id, room.Secret, "watcher");
        await using var watcherScope = watcher;
        await using var host = await server.ConnectClientAsync();
        var hostId = (await host.JoinAsync(room.Id, room.HostSecret, "host")).GetProperty("clientId").GetInt32();
        await watcher.ExpectEventAsync("client_joined");
        await watcher.ExpectEventAsync("host_changed");
        var (resumer, _) = await ResumeClient.JoinAsync(server, room.Id, room.Secret, "resumer");
        await using var resumerScope = resumer;
        await watcher.ExpectEventAsync("client_joined");
        await UntilAsync(host, "client_joined", resumer.ClientId);

        watcher.Drop();
        await UntilAsync(host, "client_away", watcher.ClientId);

        // While the watcher is away, one of every room event (each step seen by a witness before the next starts).
        await using var joiner = await server.ConnectClientAsync();
        await joiner.JoinAsync(room.Id, room.Secret, "joiner");
        await host.SendJsonAsync(new { type = "send", to = new[] { watcher.ClientId }, data = "direct" });
        await host.SendJsonAsync(new { type = "broadcast", data = "text" });
        await host.SendBinaryAsync([0x00, 0x07]);
        await UntilAsync(joiner, "message");
        await joiner.ExpectBinaryAsync();
        using (var pushed = await server.Api.PostJsonAsync($"/v1/api/rooms/{room.Id}/messages", """{"data":"pushed"}"""))
        {
            Assert.True(pushed.IsSuccessStatusCode);
        }

        await UntilAsync(joiner, "message");
        resumer.Drop();
        await UntilAsync(joiner, "client_away", resumer.ClientId);
        await resumer.ResumeAsync();
        await UntilAsync(joiner, "client_back", resumer.ClientId);
        await host.SendJsonAsync(new { type = "transfer_host", clientId = joiner.ClientId });
        await UntilAsync(joiner, "host_changed");
        await host.SendJsonAsync(new { type = "leave" });
        await UntilAsync(host, "left");
        await UntilAsync(joiner, "client_left", hostId);
        await joiner.SendJsonAsync(new { type = "kick", clientId = resumer.ClientId });
        await UntilAsync(joiner, "client_left", resumer.ClientId);

        var resumed = await watcher.ResumeAsync();
        var replay = new List<string>();
        for (var i = resumed.GetProperty("missed").GetInt32(); i > 0; i--)
        {
            replay.Add(Describe(await watcher.NextEventAsync()));
        }

        Assert.Equal(
            [
                $"client_joined {joiner.ClientId}",
                "message direct",
                "message text",
                "binary 7",
                "message pushed",
                $"client_away {resumer.ClientId}",
                $"client_back {resumer.ClientId}",
                $"host_changed {joiner.ClientId}",
                "client_left left",
                "client_left kicked",
            ],
            replay);
        await watcher.Connection.AssertNothingPendingAsync();
    }

    /// <summary>Skips messages until one of <paramref name="type"/> (about <paramref name="clientId"/>, when given) arrives.</summary>
    private static async Task<JsonElement> UntilAsync(TestClient client, string type, int? clientId = null)
    {
        while (true)
        {
            var received = await client.ReceiveAsync();
            if (!received.IsText)
            {
                continue;
            }

            var json = received.Json;
            if (Expect.TypeOf(json) == type && (clientId is null || json.GetProperty("clientId").GetInt32() == clientId))
            {
                return json;
            }
        }
    }

    private static string Describe(JsonElement e) => Expect.TypeOf(e) switch
    {
        "client_joined" or "client_away" or "client_back" => $"{Expect.TypeOf(e)} {e.GetProperty("clientId").GetInt32()}",
        "message" => $"message {e.GetProperty("data").GetString()}",
        "binary" => $"binary {e.GetProperty("payload")[0].GetInt32()}",
        "host_changed" => $"host_changed {e.GetProperty("hostId").GetInt32()}",
        "client_left" => $"client_left {e.GetProperty("reason").GetString()}",
        _ => e.GetRawText(),
    };
}
