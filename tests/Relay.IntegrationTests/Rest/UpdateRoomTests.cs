using System.Net;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Rest;

public sealed class UpdateRoomTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task Patch_answers_200_with_the_updated_room()
    {
        var created = await Server.Api.CreateRoomAsync();

        using var response = await Server.Api.PatchJsonAsync(
            $"/v1/api/rooms/{created.Id}", """{"maxClients":3,"locked":true,"metadata":{"stage":2}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var room = await RelayApi.ReadJsonAsync(response);
        Assert.Equal(created.Id, room.GetProperty("id").GetString());
        Assert.Equal(3, room.GetProperty("maxClients").GetInt32());
        Assert.True(room.GetProperty("locked").GetBoolean());
        Assert.Equal(2, room.GetProperty("metadata").GetProperty("stage").GetInt32());
    }

    [Fact]
    public async Task Patch_changes_are_visible_in_a_later_get()
    {
        var created = await Server.Api.CreateRoomAsync();

        using var patched = await Server.Api.PatchJsonAsync($"/v1/api/rooms/{created.Id}", """{"maxClients":7,"locked":true}""");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var room = await Server.Api.GetJsonAsync($"/v1/api/rooms/{created.Id}");

        Assert.Equal(7, room.GetProperty("maxClients").GetInt32());
        Assert.True(room.GetProperty("locked").GetBoolean());
    }

    [Fact]
    public async Task Patch_replaces_the_metadata_rather_than_merging_it()
    {
        var created = await Server.Api.CreateRoomAsync("""{"metadata":{"old":1}}""");

        using var response = await Server.Api.PatchJsonAsync($"/v1/api/rooms/{created.Id}", """{"metadata":{"new":2}}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var metadata = (await Server.Api.GetJsonAsync($"/v1/api/rooms/{created.Id}")).GetProperty("metadata");

        Assert.Equal(2, metadata.GetProperty("new").GetInt32());
        Assert.False(metadata.TryGetProperty("old", out _), $"old metadata survived: {metadata.GetRawText()}");
    }

    [Fact]
    public async Task Patch_leaves_absent_fields_as_they_are()
    {
        var created = await Server.Api.CreateRoomAsync("""{"maxClients":9,"metadata":{"keep":true}}""");

        using var response = await Server.Api.PatchJsonAsync($"/v1/api/rooms/{created.Id}", """{"locked":true}""");
        var room = await RelayApi.ReadJsonAsync(response);

        Assert.Equal(9, room.GetProperty("maxClients").GetInt32());
        Assert.True(room.GetProperty("metadata").GetProperty("keep").GetBoolean());
        Assert.True(room.GetProperty("locked").GetBoolean());
    }

    [Fact]
    public async Task Patch_response_never_shows_secrets()
    {
        var created = await Server.Api.CreateRoomAsync("""{"secret":"patch-known-secret"}""");

        using var response = await Server.Api.PatchJsonAsync($"/v1/api/rooms/{created.Id}", """{"locked":false}""");
        var raw = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("secret", raw, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(created.HostSecret, raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Patch_of_an_unknown_room_answers_404_problem()
    {
        await Problems.AssertNotFoundAsync(Server.Api.PatchJsonAsync("/v1/api/rooms/no-such-room", """{"locked":true}"""));
    }

    [Theory]
    [InlineData("""{"maxClients":0}""", "maxClients")]
    [InlineData("""{"maxClients":1001}""", "maxClients")]
    [InlineData("""{"metadata":[1]}""", "metadata")]
    [InlineData("""{"metadata":"text"}""", "metadata")]
    [InlineData("""{"locked":"yes"}""", "locked")]
    public async Task Patch_with_an_invalid_field_answers_400_naming_it(string body, string field)
    {
        var created = await Server.Api.CreateRoomAsync();

        await Problems.AssertValidationErrorAsync(Server.Api.PatchJsonAsync($"/v1/api/rooms/{created.Id}", body), field);
    }

    [Fact]
    public async Task Patch_with_an_invalid_field_changes_nothing()
    {
        var created = await Server.Api.CreateRoomAsync("""{"maxClients":5}""");

        using var response = await Server.Api.PatchJsonAsync($"/v1/api/rooms/{created.Id}", """{"maxClients":0,"locked":true}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var room = await Server.Api.GetJsonAsync($"/v1/api/rooms/{created.Id}");

        Assert.Equal(5, room.GetProperty("maxClients").GetInt32());
        Assert.False(room.GetProperty("locked").GetBoolean());
    }
}
