using System.Net;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Rest;

public sealed class PushMessageTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task Push_answers_202_with_the_recipient_count_and_clients_get_it_from_0()
    {
        var created = await Server.Api.CreateRoomAsync();
        await using var alice = await Server.ConnectClientAsync();
        await using var bob = await Server.ConnectClientAsync();
        await alice.JoinAsync(created.Id, created.Secret, "alice");
        await bob.JoinAsync(created.Id, created.Secret, "bob");
        await alice.ExpectAsync("client_joined");

        using var response = await Server.Api.PostJsonAsync($"/v1/api/rooms/{created.Id}/messages", """{"data":{"news":"round over"}}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(2, (await RelayApi.ReadJsonAsync(response)).GetProperty("recipients").GetInt32());
        foreach (var client in new[] { alice, bob })
        {
            var message = await client.ExpectAsync("message");
            Assert.Equal(0, message.GetProperty("from").GetInt32());
            Assert.Equal("round over", message.GetProperty("data").GetProperty("news").GetString());
        }
    }

    [Fact]
    public async Task Push_to_listed_clients_reaches_only_them()
    {
        var created = await Server.Api.CreateRoomAsync();
        await using var alice = await Server.ConnectClientAsync();
        await using var bob = await Server.ConnectClientAsync();
        await alice.JoinAsync(created.Id, created.Secret, "alice");
        await bob.JoinAsync(created.Id, created.Secret, "bob");
        await alice.ExpectAsync("client_joined");

        using var response = await Server.Api.PostJsonAsync(
            $"/v1/api/rooms/{created.Id}/messages", $$"""{"data":"psst","to":[{{bob.ClientId}}]}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, (await RelayApi.ReadJsonAsync(response)).GetProperty("recipients").GetInt32());
        var message = await bob.ExpectAsync("message");
        Assert.Equal("psst", message.GetProperty("data").GetString());
        await alice.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Push_to_an_empty_room_answers_202_with_no_recipients()
    {
        var created = await Server.Api.CreateRoomAsync();

        using var response = await Server.Api.PostJsonAsync($"/v1/api/rooms/{created.Id}/messages", """{"data":1}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(0, (await RelayApi.ReadJsonAsync(response)).GetProperty("recipients").GetInt32());
    }

    [Fact]
    public async Task Push_to_an_unknown_room_answers_404_problem()
    {
        await Problems.AssertNotFoundAsync(Server.Api.PostJsonAsync("/v1/api/rooms/no-such-room/messages", """{"data":1}"""));
    }

    [Fact]
    public async Task Push_without_data_answers_400_naming_data()
    {
        var created = await Server.Api.CreateRoomAsync();

        await Problems.AssertValidationErrorAsync(Server.Api.PostJsonAsync($"/v1/api/rooms/{created.Id}/messages", "{}"), "data");
    }
}
