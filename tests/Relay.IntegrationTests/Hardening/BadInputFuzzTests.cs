using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Hardening;

/// <summary>
/// The bad-input suite: hostile connections throw thousands of random and mutated frames at the real server
/// while two healthy rooms exchange a counted stream. The server must answer every bad frame the way the contract
/// says for that frame (close 1007 for invalid UTF-8 text, close 1009 over the size limit, an error or reply with the
/// connection open for anything else), never crash, and deliver every healthy message, in order.
/// </summary>
[Collection(SoloCollection.Name)]
public sealed class BadInputFuzzTests(ITestOutputHelper output)
{
    private const int Fuzzers = 6;
    private const int FramesPerFuzzer = 600;
    private const int HealthyMessages = 800;
    private const int MaxMessageBytes = 8192;

    [Fact]
    public async Task Hostile_frames_get_errors_or_closes_while_healthy_rooms_lose_nothing()
    {
        await using var server = await RelayServer.StartAsync(
            ("Relay:MaxMessageBytes", $"{MaxMessageBytes}"),
            ("Relay:RateLimit:MessagesPerSecond", "1000000"),
            ("Relay:RateLimit:Burst", "1000000"));

        var healthy = Task.WhenAll(HealthyRoomAsync(server, 1), HealthyRoomAsync(server, 2));
        var fuzzers = Enumerable.Range(0, Fuzzers).Select(i => FuzzAsync(server, seed: 1000 + i)).ToArray();
        var floods = ConnectFloodAsync(server);

        var results = await Task.WhenAll(fuzzers).WaitAsync(TimeSpan.FromMinutes(3));
        await floods.WaitAsync(TimeSpan.FromMinutes(1));
        await healthy.WaitAsync(TimeSpan.FromMinutes(2));

        // Each frame got the answer its kind calls for (checked frame by frame in FuzzAsync); here, the mix was
        // hostile enough to exercise every kind of answer.
        var outcomes = results.SelectMany(r => r).GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine(
            $"bad-input suite: {string.Join(", ", outcomes.Select(o => $"{o.Value} x {o.Key}"))}, " +
            $"{2 * 2 * HealthyMessages} healthy messages delivered in order");
        foreach (var expected in Enum.GetValues<Outcome>())
        {
            Assert.True(outcomes.GetValueOrDefault(expected) > 0, $"no hostile frame was answered with {expected}");
        }

        using var health = await server.Http.GetAsync("/healthz");
        Assert.True(health.IsSuccessStatusCode);
        var summary = await server.Api.GetJsonAsync("/v1/api/summary");
        Assert.Equal(0, summary.GetProperty("clients").GetInt32());
    }

    /// <summary>Two clients stream numbered messages to each other; each must see the other's stream complete and in order.</summary>
    private static async Task HealthyRoomAsync(RelayServer server, int roomNumber)
    {
        var room = await server.Api.CreateRoomAsync();
        await using var a = await server.ConnectClientAsync();
        await using var b = await server.ConnectClientAsync();
        await a.JoinAsync(room.Id, room.Secret, $"a{roomNumber}");
        await b.JoinAsync(room.Id, room.Secret, $"b{roomNumber}");
        await a.ExpectAsync("client_joined");

        async Task StreamAsync(TestClient from, TestClient to)
        {
            var sending = Task.Run(async () =>
            {
                for (var i = 0; i < HealthyMessages; i++)
                {
                    await from.SendTextAsync($$$"""{"type":"broadcast","data":{"room":{{{roomNumber}}},"seq":{{{i}}}}}""");
                }
            });
            for (var expected = 0; expected < HealthyMessages; expected++)
            {
                var message = await to.ExpectAsync("message");
                Assert.Equal(from.ClientId, message.GetProperty("from").GetInt32());
                Assert.Equal(expected, message.GetProperty("data").GetProperty("seq").GetInt32());
            }

            await sending;
        }

        await Task.WhenAll(StreamAsync(a, b), StreamAsync(b, a));
    }

    /// <summary>How the server must answer a hostile frame.</summary>
    private enum Outcome
    {
        /// <summary>An error (or another reply) before the barrier's pong; the connection stays open.</summary>
        Answered,

        /// <summary>Close 1007: a text frame that is not UTF-8 (the WebSocket layer may reset instead).</summary>
        InvalidUtf8Close,

        /// <summary>Close 1009: a message over `Relay:MaxMessageBytes`.</summary>
        TooBigClose,
    }

    /// <summary>The answer the contract calls for, decided from the frame alone.</summary>
    private static Outcome ExpectedOutcome(byte[] bytes, WebSocketMessageType type) =>
        type == WebSocketMessageType.Text && !System.Text.Unicode.Utf8.IsValid(bytes) ? Outcome.InvalidUtf8Close
        : bytes.Length > MaxMessageBytes ? Outcome.TooBigClose
        : Outcome.Answered;

    /// <summary>
    /// One hostile connection (reconnecting whenever the server closes it). After each frame it sends a ping
    /// barrier; the frame was answered when an error or other reply arrives before the pong. Each frame's actual
    /// answer must be the one <see cref="ExpectedOutcome"/> calls for; returns them.
    /// </summary>
    private static async Task<List<Outcome>> FuzzAsync(RelayServer server, int seed)
    {
        var random = new Random(seed);
        var outcomes = new List<Outcome>();
        var client = await server.ConnectClientAsync();
        try
        {
            for (var i = 0; i < FramesPerFuzzer; i++)
            {
                var (bytes, type) = NextHostileFrame(random);
                var expected = ExpectedOutcome(bytes, type);
                try
                {
                    await client.SendAsync(bytes, type);
                    var barrier = $"fuzz-{seed}-{i}";
                    await client.SendJsonAsync(new { type = "ping", @ref = barrier });
                    var replies = 0;
                    while (true)
                    {
                        var received = await client.ReceiveAsync();
                        if (received.IsText && IsBarrier(received, barrier))
                        {
                            break;
                        }

                        replies++;
                    }

                    Assert.True(replies > 0, $"no reply to hostile frame {i} of fuzzer {seed}: {Describe(bytes, type)}");
                    Assert.True(expected == Outcome.Answered, $"frame {i} of fuzzer {seed} was answered where {expected} was due: {Describe(bytes, type)}");
                    outcomes.Add(Outcome.Answered);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException || (ex is Xunit.Sdk.XunitException && client.Socket.State != WebSocketState.Open))
                {
                    // The server closed this connection (1007 invalid UTF-8, 1009 too big): a valid answer. Reconnect.
                    var (status, description) = await client.WaitForCloseAsync();

                    // Invalid UTF-8 in a text frame fails the WebSocket itself: the server sends close 1007 and drops
                    // the connection, so the barrier this test sends right behind it can turn the close into a reset.
                    var actual = status switch
                    {
                        WebSocketCloseStatus.InvalidPayloadData => Outcome.InvalidUtf8Close,
                        WebSocketCloseStatus.MessageTooBig => Outcome.TooBigClose,
                        null when expected == Outcome.InvalidUtf8Close => Outcome.InvalidUtf8Close,
                        _ => (Outcome?)null,
                    };
                    Assert.True(
                        actual == expected,
                        $"frame {i} of fuzzer {seed}: close {(int?)status} {description} where {expected} was due: {Describe(bytes, type)}");
                    outcomes.Add(expected);
                    await client.DisposeAsync();
                    client = await server.ConnectClientAsync();
                }
            }
        }
        finally
        {
            await client.DisposeAsync();
        }

        return outcomes;
    }

    private static bool IsBarrier(Received received, string barrier)
    {
        try
        {
            var json = received.Json;
            return json.TryGetProperty("type", out var t) && t.GetString() == "pong"
                && json.TryGetProperty("ref", out var r) && r.ValueKind == JsonValueKind.String && r.GetString() == barrier;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Opens and drops many connections at once, with connect attempts on rooms that do not exist.</summary>
    private static async Task ConnectFloodAsync(RelayServer server)
    {
        var tasks = Enumerable.Range(0, 100).Select(async i =>
        {
            await using var client = await server.ConnectClientAsync();
            await client.SendJsonAsync(new { type = "connect", roomId = $"no-such-room-{i}", secret = "wrong-secret" });
            await client.ExpectErrorAsync("room_not_found");
            if (i % 2 == 0)
            {
                client.Abort();
            }
        });
        await Task.WhenAll(tasks);
    }

    private static readonly string[] ValidTemplates =
    [
        """{"type":"connect","roomId":"abc","secret":"0123456789","name":"fuzz"}""",
        """{"type":"broadcast","data":{"a":[1,2,3],"b":"text"}}""",
        """{"type":"send","to":[1,2],"data":"hello"}""",
        """{"type":"kick","clientId":2,"reason":"x"}""",
        """{"type":"transfer_host","clientId":3}""",
        """{"type":"close_room","reason":"bye"}""",
        """{"type":"leave","ref":"r1"}""",
    ];

    private static (byte[] Bytes, WebSocketMessageType Type) NextHostileFrame(Random random)
    {
        switch (random.Next(12))
        {
            case 0: // random bytes as text (often invalid UTF-8)
                return (RandomBytes(random, random.Next(1, 200)), WebSocketMessageType.Text);
            case 1: // random bytes as binary: unknown ops, truncated ids, or relays before connect
                return (RandomBytes(random, random.Next(0, 40)), WebSocketMessageType.Binary);
            case 2: // truncated JSON
                var template = ValidTemplates[random.Next(ValidTemplates.Length)];
                return (Encoding.UTF8.GetBytes(template[..random.Next(1, template.Length - 1)]), WebSocketMessageType.Text);
            case 3: // deep nesting
                var depth = random.Next(65, 400);
                return (Encoding.UTF8.GetBytes("""{"type":"broadcast","data":""" + new string('[', depth) + new string(']', depth) + "}"), WebSocketMessageType.Text);
            case 4: // huge numbers and wrong types
                string[] wrong =
                [
                    """{"type":"send","to":[99999999999999999999],"data":1}""",
                    """{"type":"kick","clientId":1e400}""",
                    """{"type":"connect","roomId":12,"secret":true}""",
                    """{"type":7}""",
                    """{"type":"send","to":"everyone","data":1}""",
                    """{"type":"ping","ref":1.5}""",
                    """{"type":"ping","ref":{"nested":true}}""",
                    """{"type":"connect","roomId":"r","secret":"s","name":""" + "\"" + new string('n', 100) + "\"}",
                ];
                return (Encoding.UTF8.GetBytes(wrong[random.Next(wrong.Length)]), WebSocketMessageType.Text);
            case 5: // not objects
                string[] notObjects = ["[]", "42", "\"text\"", "null", "true", "", " ", "{}", "{\"type\":null}"];
                return (Encoding.UTF8.GetBytes(notObjects[random.Next(notObjects.Length)]), WebSocketMessageType.Text);
            case 6: // unknown types
                return (Encoding.UTF8.GetBytes($$"""{"type":"t{{random.Next()}}"}"""), WebSocketMessageType.Text);
            case 7: // over the size limit: the server closes with 1009 and ignores what follows
                return (Encoding.UTF8.GetBytes("""{"type":"broadcast","data":" """ + new string('x', 9000) + "\"}"), WebSocketMessageType.Text);
            case 8: // invalid UTF-8 inside a string
                var bytes = Encoding.UTF8.GetBytes("""{"type":"connect","roomId":"XX","secret":"0123456789"}""");
                bytes[27] = 0xC3;
                bytes[28] = 0x28;
                return (bytes, WebSocketMessageType.Text);
            case 9: // duplicate and trailing garbage
                return (Encoding.UTF8.GetBytes("""{"type":"ping"} {"type":"ping"}"""), WebSocketMessageType.Text);
            default: // mutated valid messages: flip, drop or insert bytes
                var mutated = Encoding.UTF8.GetBytes(ValidTemplates[random.Next(ValidTemplates.Length)]).ToList();
                for (var m = random.Next(1, 4); m > 0 && mutated.Count > 1; m--)
                {
                    var at = random.Next(mutated.Count);
                    switch (random.Next(3))
                    {
                        case 0: mutated[at] = (byte)random.Next(32, 127); break;
                        case 1: mutated.RemoveAt(at); break;
                        default: mutated.Insert(at, (byte)"{}[]\",:"[random.Next(7)]); break;
                    }
                }

                return ([.. mutated], WebSocketMessageType.Text);
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string Describe(byte[] bytes, WebSocketMessageType type) =>
        type == WebSocketMessageType.Text ? Encoding.UTF8.GetString(bytes) : Convert.ToHexString(bytes);
}
