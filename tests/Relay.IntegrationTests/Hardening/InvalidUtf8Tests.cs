using System.Net.WebSockets;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Hardening;

public sealed class InvalidUtf8Tests
{
    [Fact]
    public async Task A_text_frame_that_is_not_UTF8_is_closed_with_1007_and_others_are_unaffected()
    {
        await using var server = await RelayServer.StartAsync();
        await using var bystander = await server.ConnectClientAsync();
        await using var client = await server.ConnectClientAsync();

        await client.SendAsync([(byte)'{', 0xC3, 0x28, (byte)'}'], WebSocketMessageType.Text);

        var (status, _) = await client.WaitForCloseAsync();
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, status);
        await bystander.AssertNothingPendingAsync();
    }
}
