using System.Net;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Rest;

/// <summary>
/// The README's five-minute walk-through, step by step with its exact request bodies: what it shows the server
/// answer (the 202 of a push, metadata and data exactly as sent, spaces included, each room event's `seq` in a room
/// with resume on, the default) is what the server answers.
/// </summary>
public sealed class ReadmeWalkThroughTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    [Fact]
    public async Task The_walk_through_shows_what_the_server_answers()
    {
        var server = fixture.Server;
        var room = await server.Api.CreateRoomAsync("""{"maxClients": 4, "metadata": {"game": "chess"}}""");
        Assert.Equal("""{"game": "chess"}""", room.Body.GetProperty("metadata").GetRawText());
        Assert.Equal(30, room.Body.GetProperty("resumeWindowSeconds").GetInt32());

        await using var alice = await server.ConnectClientAsync();
        var aliceConnected = await alice.JoinAsync(room.Id, room.Secret, "alice");
        Assert.Equal("""{"game": "chess"}""", aliceConnected.GetProperty("metadata").GetRawText());
        Assert.True(aliceConnected.GetProperty("isHost").GetBoolean());
        await using var bob = await server.ConnectClientAsync();
        await bob.JoinAsync(room.Id, room.Secret, "bob");
        Assert.Equal("""{"type":"client_joined","clientId":2,"name":"bob","seq":3}""", (await alice.ReceiveAsync()).Text);

        await alice.SendTextAsync("""{"type":"broadcast","data":{"text":"hi"}}""");
        Assert.Equal("""{"type":"message","from":1,"seq":4,"data":{"text":"hi"}}""", (await bob.ReceiveAsync()).Text);
        await bob.SendTextAsync("""{"type":"send","to":[1],"data":{"move":"e2e4"}}""");
        Assert.Equal("""{"type":"message","from":2,"seq":5,"data":{"move":"e2e4"}}""", (await alice.ReceiveAsync()).Text);
        await bob.SendTextAsync("""{"type":"send","to":[9],"data":1}""");
        Assert.Equal("""{"type":"error","code":"unknown_client","message":"client 9 is not in the room"}""", (await bob.ReceiveAsync()).Text);

        using var push = await server.Api.PostJsonAsync($"/v1/api/rooms/{room.Id}/messages", """{"data": {"notice": "round starts"}}""");
        Assert.Equal(HttpStatusCode.Accepted, push.StatusCode);
        Assert.Equal("""{"recipients":2}""", await push.Content.ReadAsStringAsync());
        foreach (var client in new[] { alice, bob })
        {
            Assert.Equal("""{"type":"message","from":0,"seq":6,"data":{"notice": "round starts"}}""", (await client.ReceiveAsync()).Text);
        }
    }
}
