using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Hardening;

public sealed class RateLimitTests
{
    [Trait("Scope", "node")] // a fake clock per node: a cluster's heartbeats must keep real time
    [Fact]
    public async Task Messages_over_the_burst_get_rate_limited_with_ref_and_are_not_relayed()
    {
        // The server's clock does not move: no token can refill while the test runs, however slow the machine.
        await using var server = await StartWithClockAsync(new FakeTimeProvider(), messagesPerSecond: 1, burst: 5);
        var room = await server.Api.CreateRoomAsync();
        await using var sender = await server.ConnectClientAsync();
        await using var receiver = await server.ConnectClientAsync();
        await sender.JoinAsync(room.Id, room.Secret); // 1 token
        await receiver.JoinAsync(room.Id, room.Secret);
        await sender.ExpectAsync("client_joined");

        for (var i = 0; i < 4; i++)
        {
            await sender.SendJsonAsync(new { type = "broadcast", data = i }); // tokens 2..5
        }

        await sender.SendJsonAsync(new { type = "broadcast", data = 99, @ref = "over" });
        var error = await sender.ExpectErrorAsync("rate_limited");
        Assert.Equal("over", error.GetProperty("ref").GetString());

        for (var i = 0; i < 4; i++)
        {
            var message = await receiver.ExpectAsync("message");
            Assert.Equal(i, message.GetProperty("data").GetInt32());
        }

        // The refused broadcast never reached the receiver. The receiver's own barrier is within its bucket.
        await receiver.AssertNothingPendingAsync();
        Assert.Equal(WebSocketState.Open, sender.Socket.State);
    }

    [Trait("Scope", "node")] // a fake clock per node: a cluster's heartbeats must keep real time
    [Fact]
    public async Task A_client_that_keeps_sending_after_refusals_is_closed_with_1008_and_others_are_unaffected()
    {
        await using var server = await StartWithClockAsync(new FakeTimeProvider(), messagesPerSecond: 1, burst: 3);
        var room = await server.Api.CreateRoomAsync();
        await using var abuser = await server.ConnectClientAsync();
        await using var bystander = await server.ConnectClientAsync();
        await abuser.JoinAsync(room.Id, room.Secret);
        await bystander.JoinAsync(room.Id, room.Secret);

        for (var i = 0; i < 20 && abuser.Socket.State == WebSocketState.Open; i++)
        {
            try
            {
                await abuser.SendJsonAsync(new { type = "ping" });
            }
            catch (WebSocketException)
            {
                break;
            }
        }

        var (status, _) = await abuser.WaitForCloseAsync();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        var left = await bystander.ExpectAsync("client_left");
        Assert.Equal("disconnected", left.GetProperty("reason").GetString());
        var hostChanged = await bystander.ExpectAsync("host_changed");
        Assert.Equal(bystander.ClientId, hostChanged.GetProperty("hostId").GetInt32());
        await bystander.AssertNothingPendingAsync();
    }

    /// <summary>A server whose clock (and so every client's token bucket) moves only when the test advances it.</summary>
    private static Task<RelayServer> StartWithClockAsync(FakeTimeProvider clock, int messagesPerSecond, int burst) =>
        RelayServer.StartAsync(
            [
                ("Relay:RateLimit:MessagesPerSecond", $"{messagesPerSecond}"),
                ("Relay:RateLimit:Burst", $"{burst}"),
                ("Relay:ConnectTimeoutSeconds", "3600"),
            ],
            builder => builder.Services.AddSingleton<TimeProvider>(clock));

    /// <summary>Sends broadcasts numbered from <paramref name="first"/>; the first <paramref name="allowed"/> reach the receiver, the next one is refused.</summary>
    private static async Task<int> ExpectAllowedThenLimitedAsync(TestClient sender, TestClient receiver, int first, int allowed)
    {
        for (var i = first; i < first + allowed; i++)
        {
            await sender.SendJsonAsync(new { type = "broadcast", data = i });
        }

        await sender.SendJsonAsync(new { type = "broadcast", data = -1, @ref = $"over-{first}" });
        Assert.Equal($"over-{first}", (await sender.ExpectErrorAsync("rate_limited")).GetProperty("ref").GetString());
        for (var i = first; i < first + allowed; i++)
        {
            Assert.Equal(i, (await receiver.ExpectAsync("message")).GetProperty("data").GetInt32());
        }

        // The refused broadcast reached nobody (the receiver's barrier is within its own bucket).
        await receiver.AssertNothingPendingAsync();
        return first + allowed;
    }

    [Trait("Scope", "node")] // a fake clock per node: a cluster's heartbeats must keep real time
    [Fact]
    public async Task The_bucket_holds_exactly_Burst_messages_refills_at_MessagesPerSecond_and_never_above_Burst()
    {
        var clock = new FakeTimeProvider();
        await using var server = await StartWithClockAsync(clock, messagesPerSecond: 4, burst: 5);
        var room = await server.Api.CreateRoomAsync();
        await using var sender = await server.ConnectClientAsync();
        await using var receiver = await server.ConnectClientAsync();
        await sender.JoinAsync(room.Id, room.Secret); // the connect is the first of the 5 tokens
        await receiver.JoinAsync(room.Id, room.Secret);
        await sender.ExpectAsync("client_joined");

        // Exactly the burst: 4 more messages pass, the 5th is refused (no time has passed).
        var next = await ExpectAllowedThenLimitedAsync(sender, receiver, first: 0, allowed: 4);

        // 4 per second: a quarter of a second refills exactly one token, three quarters three.
        clock.Advance(TimeSpan.FromMilliseconds(250));
        next = await ExpectAllowedThenLimitedAsync(sender, receiver, next, allowed: 1);
        clock.Advance(TimeSpan.FromMilliseconds(750));
        next = await ExpectAllowedThenLimitedAsync(sender, receiver, next, allowed: 3);

        // A long pause fills the bucket to the burst, not beyond.
        clock.Advance(TimeSpan.FromMinutes(10));
        await ExpectAllowedThenLimitedAsync(sender, receiver, next, allowed: 5);
        Assert.Equal(WebSocketState.Open, sender.Socket.State);
    }

    [Trait("Scope", "node")] // a fake clock per node: a cluster's heartbeats must keep real time
    [Fact]
    public async Task Exactly_Burst_refusals_in_a_row_are_answered_and_the_next_one_closes_with_1008()
    {
        var clock = new FakeTimeProvider();
        await using var server = await StartWithClockAsync(clock, messagesPerSecond: 1, burst: 3);
        var room = await server.Api.CreateRoomAsync();
        await using var abuser = await server.ConnectClientAsync();
        await using var bystander = await server.ConnectClientAsync();
        await abuser.JoinAsync(room.Id, room.Secret);
        await bystander.JoinAsync(room.Id, room.Secret);
        await abuser.ExpectAsync("client_joined");
        for (var i = 0; i < 2; i++)
        {
            await abuser.SendJsonAsync(new { type = "broadcast", data = i }); // the bucket is empty after these
            await bystander.ExpectAsync("message");
        }

        // A message that gets through resets the count of refusals in a row.
        await abuser.SendJsonAsync(new { type = "ping", @ref = "refused-1" });
        await abuser.ExpectErrorAsync("rate_limited");
        clock.Advance(TimeSpan.FromSeconds(1));
        await abuser.SendJsonAsync(new { type = "broadcast", data = "through" });
        Assert.Equal("through", (await bystander.ExpectAsync("message")).GetProperty("data").GetString());

        // Burst (3) refusals in a row are answered with rate_limited; the next message closes the connection.
        for (var i = 1; i <= 3; i++)
        {
            await abuser.SendJsonAsync(new { type = "ping", @ref = $"refusal-{i}" });
            Assert.Equal($"refusal-{i}", (await abuser.ExpectErrorAsync("rate_limited")).GetProperty("ref").GetString());
        }

        await abuser.SendJsonAsync(new { type = "ping", @ref = "one-too-many" });
        var (status, _) = await abuser.WaitForCloseAsync();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        var left = await bystander.ExpectAsync("client_left");
        Assert.Equal("disconnected", left.GetProperty("reason").GetString());
    }
}
