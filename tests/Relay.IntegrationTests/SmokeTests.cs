using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests;

public sealed class SmokeTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task Two_clients_relay_a_broadcast_byte_for_byte()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var alice = await Server.ConnectClientAsync();
        await using var bob = await Server.ConnectClientAsync();
        var connected = await alice.JoinAsync(room.Id, room.Secret, "alice");
        Assert.True(connected.GetProperty("isHost").GetBoolean());
        await bob.JoinAsync(room.Id, room.Secret, "bob");
        var joined = await alice.ExpectAsync("client_joined");
        Assert.Equal(bob.ClientId, joined.GetProperty("clientId").GetInt32());

        await alice.SendTextAsync("""{"type":"broadcast","data":{ "x" : [1, 2.50, "é"] }}""");
        var message = await bob.ReceiveAsync();
        Assert.Equal("{\"type\":\"message\",\"from\":" + alice.ClientId + ",\"data\":{ \"x\" : [1, 2.50, \"é\"] }}", message.TextWithoutSeq);
        await alice.AssertNothingPendingAsync();
    }
}
