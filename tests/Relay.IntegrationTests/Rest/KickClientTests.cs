using System.Net;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Rest;

public sealed class KickClientTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task Kick_answers_204_and_the_client_is_no_longer_in_the_room()
    {
        var created = await Server.Api.CreateRoomAsync();
        await using var alice = await Server.ConnectClientAsync();
        await using var bob = await Server.ConnectClientAsync();
        await alice.JoinAsync(created.Id, created.Secret, "alice");
        await bob.JoinAsync(created.Id, created.Secret, "bob");

        using var response = await Server.Http.DeleteAsync($"/v1/api/rooms/{created.Id}/clients/{bob.ClientId}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var room = await Server.Api.GetJsonAsync($"/v1/api/rooms/{created.Id}");
        Assert.Equal(1, room.GetProperty("clientCount").GetInt32());
        Assert.DoesNotContain(
            room.GetProperty("clients").EnumerateArray(),
            c => c.GetProperty("clientId").GetInt32() == bob.ClientId);
    }

    [Fact]
    public async Task Kick_in_an_unknown_room_answers_404_problem()
    {
        await Problems.AssertNotFoundAsync(Server.Http.DeleteAsync("/v1/api/rooms/no-such-room/clients/1"));
    }

    [Fact]
    public async Task Kick_of_an_unknown_client_answers_404_problem()
    {
        var created = await Server.Api.CreateRoomAsync();
        await using var alice = await Server.ConnectClientAsync();
        await alice.JoinAsync(created.Id, created.Secret, "alice");

        await Problems.AssertNotFoundAsync(Server.Http.DeleteAsync($"/v1/api/rooms/{created.Id}/clients/{alice.ClientId + 1}"));
    }
}
