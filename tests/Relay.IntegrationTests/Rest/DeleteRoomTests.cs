using System.Net;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Rest;

public sealed class DeleteRoomTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task Delete_answers_204_and_the_room_is_gone()
    {
        var created = await Server.Api.CreateRoomAsync();

        using var response = await Server.Http.DeleteAsync($"/v1/api/rooms/{created.Id}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await Problems.AssertNotFoundAsync(Server.Http.GetAsync($"/v1/api/rooms/{created.Id}"));
    }

    [Fact]
    public async Task Delete_frees_the_id_for_a_new_room()
    {
        var id = $"reuse-{Guid.NewGuid():N}";
        await Server.Api.CreateRoomAsync($$"""{"id":"{{id}}"}""");
        using var deleted = await Server.Http.DeleteAsync($"/v1/api/rooms/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        var again = await Server.Api.CreateRoomAsync($$"""{"id":"{{id}}"}""");

        Assert.Equal(id, again.Id);
    }

    [Fact]
    public async Task Delete_of_an_unknown_room_answers_404_problem()
    {
        await Problems.AssertNotFoundAsync(Server.Http.DeleteAsync("/v1/api/rooms/no-such-room"));
    }

    [Fact]
    public async Task Delete_twice_answers_404_the_second_time()
    {
        var created = await Server.Api.CreateRoomAsync();
        using var first = await Server.Http.DeleteAsync($"/v1/api/rooms/{created.Id}");
        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);

        await Problems.AssertNotFoundAsync(Server.Http.DeleteAsync($"/v1/api/rooms/{created.Id}"));
    }
}
