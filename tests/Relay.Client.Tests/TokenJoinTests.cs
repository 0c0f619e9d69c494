using Relay.Client.Tests.Infrastructure;

namespace Relay.Client.Tests;

/// <summary>
/// A backend mints a client token with <see cref="RelayTokens.Create"/>; the realtime client joins with it instead of
/// the room's secret, and the user id it carries shows in the REST read of the room.
/// </summary>
public sealed class TokenJoinTests
{
    private const string SigningKey = "client-tests-signing-key-0123456789abcdef";

    [Fact]
    public async Task A_client_joins_with_a_minted_token_and_its_user_id_shows_in_the_room()
    {
        await using var server = await TestServer.StartAsync(false, $"Relay:Tokens:SigningKeys:0={SigningKey}");
        var room = await server.CreateRoomAsync();
        var token = RelayTokens.Create(SigningKey, room.Id, userId: "user-42", name: "alice");

        await using var alice = new Probe(new RelayRealtimeClient(new RelayRealtimeOptions { ServerUri = server.Address, Token = token }));
        var connected = await alice.Client.ConnectAsync().WaitAsync(Probe.Timeout);

        Assert.Equal(room.Id, connected.RoomId);
        var member = Assert.Single((await server.Api.GetRoomAsync(room.Id)).Clients!);
        Assert.Equal(connected.ClientId, member.ClientId);
        Assert.Equal("alice", member.Name);
        Assert.Equal("user-42", member.UserId);
    }
}
