using System.Net.WebSockets;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Hardening;

public sealed class RateLimitTests
{
    [Fact]
    public async Task Messages_over_the_burst_get_rate_limited_with_ref_and_are_not_relayed()
    {
        await using var server = await RelayServer.StartAsync(("Relay:RateLimit:MessagesPerSecond", "1"), ("Relay:RateLimit:Burst", "5"));
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

    [Fact]
    public async Task A_client_that_keeps_sending_after_refusals_is_closed_with_1008_and_others_are_unaffected()
    {
        await using var server = await RelayServer.StartAsync(("Relay:RateLimit:MessagesPerSecond", "1"), ("Relay:RateLimit:Burst", "3"));
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
}
