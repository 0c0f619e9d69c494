using System.Text;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Conformance;

/// <summary>
/// RFC 6455 5.5.1: after sending a close frame an endpoint sends no more data frames. The server's WebSocket
/// writes its own close frame when a client breaks the protocol (1002 for an unmasked frame, 1007 for a text
/// frame that is not UTF-8); relays queued for that client, or arriving just then, must not follow it.
/// </summary>
public sealed class NoFrameAfterCloseTests
{
    /// <summary>The race showed in 2-3 of 30 runs: 60 rounds would miss it with a chance of about one in 10^5.</summary>
    private const int Rounds = 60;

    [Trait("Scope", "node")] // the behaviour of one node's socket; a cluster adds nothing to it
    [Fact]
    public async Task A_client_that_breaks_the_protocol_in_a_busy_room_gets_nothing_after_the_close_frame()
    {
        // Queues big enough that a victim read slowly by a loaded test process is never dropped as a slow consumer.
        await using var server = await RelayServer.StartAsync(
            ("Relay:RateLimit:MessagesPerSecond", "1000000"),
            ("Relay:RateLimit:Burst", "1000000"),
            ("Relay:SendQueue:MaxMessages", "1000000"),
            ("Relay:SendQueue:MaxBytes", "268435456"));
        var room = await server.Api.CreateRoomAsync("""{"maxClients": 4}""");
        await using var flooder = await server.ConnectClientAsync();
        await flooder.JoinAsync(room.Id, room.Secret, "flooder");
        using var stopFlood = new CancellationTokenSource();
        var flood = FloodAsync(flooder, stopFlood.Token);

        var failures = new List<string>();
        for (var round = 0; round < Rounds; round++)
        {
            var unmasked = round % 2 == 0;
            await using var victim = await RawWebSocket.ConnectAsync(server.BaseAddress);
            Assert.Equal(101, victim.StatusCode);
            await victim.SendTextAsync($$"""{"type":"connect","roomId":"{{room.Id}}","secret":"{{room.Secret}}"}""");
            Assert.Contains("\"connected\"", await victim.ReadTextAsync(), StringComparison.Ordinal);

            // The room is busy: relays are streaming to the victim when it breaks the protocol.
            for (var relayed = 0; relayed < 20;)
            {
                relayed += (await victim.ReadTextAsync()).Contains("\"message\"", StringComparison.Ordinal) ? 1 : 0;
            }

            if (unmasked)
            {
                await victim.SendFrameAsync(RawOpcode.Text, Encoding.UTF8.GetBytes("""{"type":"ping"}"""), masked: false);
            }
            else
            {
                await victim.SendFrameAsync(RawOpcode.Text, new byte[] { (byte)'{', 0xC3, 0x28, (byte)'}' });
            }

            var frames = await victim.ReadToEndAsync(TimeSpan.FromSeconds(30));
            var close = frames.ToList().FindIndex(f => f.Opcode == RawOpcode.Close);
            Assert.True(close >= 0, $"round {round}: no close frame among {frames.Count} frames");
            Assert.Equal(unmasked ? 1002 : 1007, frames[close].CloseCode);
            if (close != frames.Count - 1)
            {
                failures.Add($"round {round} ({(unmasked ? "unmasked frame, 1002" : "invalid UTF-8, 1007")}): {frames.Count - 1 - close} frames after the close frame, first {frames[close + 1]}");
            }
        }

        await stopFlood.CancelAsync();
        await flood;
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));

        // The flooder was never disturbed by any of it.
        await flooder.SendJsonAsync(new { type = "ping", @ref = "still-here" });
        while (true)
        {
            var json = await flooder.ReceiveJsonAsync();
            if (json.GetProperty("type").GetString() == "pong")
            {
                Assert.Equal("still-here", json.GetProperty("ref").GetString());
                break;
            }
        }
    }

    /// <summary>Broadcasts as fast as the connection takes them until <paramref name="stop"/>.</summary>
    private static async Task FloodAsync(TestClient flooder, CancellationToken stop)
    {
        var payload = new string('f', 200);
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            await flooder.SendTextAsync($$$"""{"type":"broadcast","data":{"n":{{{n}}},"pad":"{{{payload}}}"}}""");
        }
    }
}
