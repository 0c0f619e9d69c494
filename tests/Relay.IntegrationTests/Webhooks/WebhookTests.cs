using System.Globalization;
using Relay.Client;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Webhooks;

/// <summary>
/// Webhooks over real sockets to a real HTTP receiver (<see cref="WebhookReceiver"/>): every event type with its
/// data, signed as Standard Webhooks says; retries; a room's order; a slow endpoint under relaying. In the cluster
/// pass of test.sh the same tests run on three Redis-backed nodes (events then go through the Redis streams).
/// </summary>
public sealed class WebhookTests
{
    public const string SigningKey = "a-signing-key-for-tests-0123456789-abcdef";
    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Every_event_type_arrives_in_the_room_s_order_with_its_data_and_a_signature_that_verifies()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await RelayServer.StartAsync(receiver.Settings(("Relay:Tokens:SigningKeys:0", SigningKey)));

        var room = await server.Api.CreateRoomAsync("""{"maxClients":8,"metadata":{"game":"chess"},"resumeWindowSeconds":30}""");
        await using var ann = await server.ConnectClientAsync();
        await ann.JoinAsync(room.Id, room.Secret, "ann");
        await using var bob = await server.ConnectClientAsync();
        await bob.SendJsonAsync(new { type = "connect", token = RelayTokens.Create(SigningKey, room.Id, userId: "user-42", name: "bob"), name = "ignored", resume = true });
        var bobConnected = await bob.ExpectAsync("connected");
        await ann.ExpectAsync("client_joined");
        await ann.SendJsonAsync(new { type = "transfer_host", clientId = 2 });
        await ann.ExpectAsync("host_changed");

        // bob drops and comes back within the window: away, back, and no client.left.
        bob.Abort();
        await ann.ExpectAsync("client_away");
        await using var bobAgain = await server.ConnectClientAsync();
        await bobAgain.SendJsonAsync(new { type = "resume", roomId = room.Id, token = bobConnected.GetProperty("resumeToken").GetString(), seq = 0 });
        await bobAgain.ExpectAsync("resumed");
        await ann.ExpectAsync("client_back");

        await ann.SendJsonAsync(new { type = "leave" });
        await ann.ExpectAsync("left");
        await using var cat = await server.ConnectClientAsync();
        await cat.JoinAsync(room.Id, room.HostSecret);
        await cat.SendJsonAsync(new { type = "kick", clientId = 2, reason = "bye" });
        await cat.ExpectAsync("client_left");
        await cat.SendJsonAsync(new { type = "close_room" });
        await cat.ExpectAsync("room_closed");

        // A second room: the host drops (not resumable) and the next client becomes host; then the backend deletes it
        // with a client still in it: room.closed alone.
        var other = await server.Api.CreateRoomAsync("""{"resumeWindowSeconds":0}""");
        await using var dan = await server.ConnectClientAsync();
        await dan.JoinAsync(other.Id, other.Secret, "dan");
        await using var eve = await server.ConnectClientAsync();
        await eve.JoinAsync(other.Id, other.Secret, "eve");
        dan.Abort();
        await WaitForTextAsync(eve, "host_changed");
        (await server.Http.DeleteAsync($"/v1/api/rooms/{other.Id}")).Dispose();

        string[] expected =
        [
            """room.created protocol="mesh" maxClients=8 metadata={"game":"chess"}""",
            """client.joined clientId=1 name="ann" isHost=true""",
            "host.changed hostId=1",
            """client.joined clientId=2 name="bob" isHost=false userId="user-42" """.TrimEnd(),
            "host.changed hostId=2",
            "client.away clientId=2",
            "client.back clientId=2",
            """client.left clientId=1 reason="left" """.TrimEnd(),
            "client.joined clientId=3 name=null isHost=true",
            "host.changed hostId=3",
            """client.left clientId=2 reason="kicked" """.TrimEnd(),
            """room.closed reason="closed_by_host" """.TrimEnd(),
        ];
        string[] expectedOther =
        [
            """room.created protocol="mesh" maxClients=16 metadata={}""",
            """client.joined clientId=1 name="dan" isHost=true""",
            "host.changed hostId=1",
            """client.joined clientId=2 name="eve" isHost=false""",
            """client.left clientId=1 reason="disconnected" """.TrimEnd(),
            "host.changed hostId=2",
            """room.closed reason="deleted" """.TrimEnd(),
        ];
        await receiver.WaitForRoomAsync(room.Id, expected, Arrival);
        await receiver.WaitForRoomAsync(other.Id, expectedOther, Arrival);
        Assert.Equal(expected, receiver.RoomLines(room.Id));
        Assert.Equal(expectedOther, receiver.RoomLines(other.Id));

        var events = receiver.Events;
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
        foreach (var e in receiver.Attempts)
        {
            Assert.True(e.VerificationError is null, $"{e.Line}: the signature did not verify: {e.VerificationError}");
            Assert.StartsWith("application/json", e.ContentType, StringComparison.Ordinal);
            Assert.StartsWith("v1,", e.Signature, StringComparison.Ordinal);
            var sent = DateTimeOffset.FromUnixTimeSeconds(long.Parse(e.TimestampHeader, CultureInfo.InvariantCulture));
            Assert.True(Math.Abs((sent - e.ReceivedAt).TotalMinutes) < 1, $"webhook-timestamp {e.TimestampHeader} is not now");
            var at = DateTimeOffset.Parse(e.Json.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture);
            Assert.Equal(TimeSpan.Zero, at.Offset);
            Assert.True(at <= e.ReceivedAt.AddSeconds(1), "the event's timestamp is the time it happened");
            Assert.Equal(["type", "timestamp", "data"], e.Json.EnumerateObject().Select(p => p.Name));
        }
    }

    [Fact]
    public async Task A_failing_attempt_is_retried_with_the_same_webhook_id_and_body_after_a_growing_delay()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var failures = 2;
        receiver.Answer = _ => Task.FromResult(Interlocked.Decrement(ref failures) >= 0 ? 503 : 204);
        await using var server = await RelayServer.StartAsync(receiver.Settings());

        var room = await server.Api.CreateRoomAsync();

        await receiver.WaitAsync(_ => receiver.Attempts.Count >= 3, Arrival, "three attempts");
        var attempts = receiver.Attempts.Where(a => a.RoomId == room.Id).ToList();
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(attempts[0].Id, a.Id));
        Assert.All(attempts, a => Assert.Equal(attempts[0].Body, a.Body));
        Assert.All(attempts, a => Assert.True(a.VerificationError is null, a.VerificationError));

        // About 1 s, then about 2 s (lower bounds only: a loaded machine makes them longer, never shorter).
        var first = attempts[1].ReceivedAt - attempts[0].ReceivedAt;
        var second = attempts[2].ReceivedAt - attempts[1].ReceivedAt;
        Assert.True(first >= TimeSpan.FromMilliseconds(900), $"first retry after {first.TotalSeconds:F2} s");
        Assert.True(second >= TimeSpan.FromMilliseconds(1800), $"second retry after {second.TotalSeconds:F2} s");
        Assert.True(second > first, $"the delay grows: {first.TotalSeconds:F2} s then {second.TotalSeconds:F2} s");
        await Task.Delay(TimeSpan.FromMilliseconds(200));
        Assert.Equal(3, receiver.Attempts.Count(a => a.RoomId == room.Id));
    }

    [Fact]
    public async Task A_room_s_next_event_waits_for_the_earlier_one_while_other_rooms_go_on()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        string? held = null;
        receiver.Answer = e => Interlocked.CompareExchange(ref held, e.RoomId, null) is null ? release.Task : Task.FromResult(200);
        await using var server = await RelayServer.StartAsync(receiver.Settings());

        var slow = await server.Api.CreateRoomAsync();
        await receiver.WaitAsync(_ => held is not null, Arrival, "the first room.created held");
        await using var client = await server.ConnectClientAsync();
        await client.JoinAsync(slow.Id, slow.Secret, "waiting");

        // Another room's events arrive while the first room's are held up: rooms do not wait for each other.
        var fast = await server.Api.CreateRoomAsync();
        await using var other = await server.ConnectClientAsync();
        await other.JoinAsync(fast.Id, fast.Secret, "other");
        await receiver.WaitAsync(events => events.Count(e => e.RoomId == fast.Id) >= 3, Arrival, "the other room's events");
        Assert.Equal(["room.created"], receiver.Events.Where(e => e.RoomId == slow.Id).Select(e => e.Type));

        release.SetResult(200);
        await receiver.WaitAsync(events => events.Count(e => e.RoomId == slow.Id) >= 3, Arrival, "the held room's events after the release");
        Assert.Equal(["room.created", "client.joined", "host.changed"], receiver.Events.Where(e => e.RoomId == slow.Id).Select(e => e.Type));
    }

    [Fact]
    public async Task A_slow_endpoint_does_not_hold_up_relaying_and_its_queue_drains_later()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = async _ =>
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            return 200;
        };
        await using var server = await RelayServer.StartAsync(receiver.Settings(
            ("Relay:RateLimit:MessagesPerSecond", "100000"), ("Relay:RateLimit:Burst", "100000"),
            // The listener reads one message at a time while the sender writes as fast as it can: queues that hold
            // the whole burst, so that it is never a slow consumer (4004) on a busy machine.
            ("Relay:SendQueue:MaxMessages", "100000"), ("Relay:SendQueue:MaxBytes", "100000000")));

        var room = await server.Api.CreateRoomAsync("""{"resumeWindowSeconds":0}""");
        await using var sender = await server.ConnectClientAsync();
        await sender.JoinAsync(room.Id, room.Secret, "sender");
        await using var listener = await server.ConnectClientAsync();
        await listener.JoinAsync(room.Id, room.Secret, "listener");
        await sender.ExpectAsync("client_joined");

        const int Count = 2000;
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < Count; i++)
            {
                await sender.SendTextAsync($$"""{"type":"broadcast","data":{{i}}}""");
            }
        });
        for (var i = 0; i < Count; i++)
        {
            var message = await listener.ExpectAsync("message");
            Assert.Equal(i, message.GetProperty("data").GetInt32());
        }

        await sending;

        // The webhooks were still on their way (2 s per answer): they all arrive, in order, afterwards.
        await sender.SendJsonAsync(new { type = "leave" });
        await receiver.WaitAsync(events => events.Count(e => e.RoomId == room.Id) >= 5, TimeSpan.FromSeconds(60), "the room's five events");
        Assert.Equal(["room.created", "client.joined", "host.changed", "client.joined", "client.left"], receiver.Events.Where(e => e.RoomId == room.Id).Select(e => e.Type));
    }

    [Fact]
    public async Task Only_the_configured_event_types_are_sent()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await RelayServer.StartAsync(receiver.Settings(("Relay:Webhooks:Events:0", "client.joined"), ("Relay:Webhooks:Events:1", "room.closed")));

        var room = await server.Api.CreateRoomAsync();
        await using var client = await server.ConnectClientAsync();
        await client.JoinAsync(room.Id, room.Secret, "only");
        (await server.Http.DeleteAsync($"/v1/api/rooms/{room.Id}")).Dispose();

        await receiver.WaitAsync(events => events.Any(e => e.Type == "room.closed"), Arrival, "room.closed");
        Assert.Equal(["client.joined", "room.closed"], receiver.Events.Select(e => e.Type));
    }

    private static async Task WaitForTextAsync(TestClient client, string type)
    {
        while (true)
        {
            var json = await client.ReceiveJsonAsync();
            if (json.GetProperty("type").GetString() == type)
            {
                return;
            }
        }
    }
}
