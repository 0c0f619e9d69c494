using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Rest;

public sealed class ListRoomsTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task List_answers_items_total_offset_and_the_default_limit_of_50()
    {
        await Server.Api.CreateRoomAsync();

        var page = await Server.Api.GetJsonAsync("/v1/api/rooms");

        Assert.Equal(JsonValueKind.Array, page.GetProperty("items").ValueKind);
        Assert.True(page.GetProperty("total").GetInt32() >= 1);
        Assert.True(page.GetProperty("items").GetArrayLength() >= 1);
        Assert.Equal(0, page.GetProperty("offset").GetInt32());
        Assert.Equal(50, page.GetProperty("limit").GetInt32());
    }

    [Fact]
    public async Task List_pages_through_every_room_in_creation_order()
    {
        await using var server = await RelayServer.StartAsync();
        var created = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            created.Add((await server.Api.CreateRoomAsync()).Id);
        }

        var seen = new List<string>();
        foreach (var (offset, expectedCount) in new[] { (0, 3), (3, 3), (6, 1), (9, 0) })
        {
            var page = await server.Api.GetJsonAsync($"/v1/api/rooms?offset={offset}&limit=3");
            Assert.Equal(7, page.GetProperty("total").GetInt32());
            Assert.Equal(offset, page.GetProperty("offset").GetInt32());
            Assert.Equal(3, page.GetProperty("limit").GetInt32());
            var items = page.GetProperty("items");
            Assert.Equal(expectedCount, items.GetArrayLength());
            seen.AddRange(items.EnumerateArray().Select(r => r.GetProperty("id").GetString()!));
        }

        Assert.Equal(created, seen);
    }

    [Fact]
    public async Task List_items_show_the_room_fields()
    {
        await using var server = await RelayServer.StartAsync();
        var room = await server.Api.CreateRoomAsync("""{"protocol":"host","maxClients":5,"metadata":{"a":1}}""");

        var item = (await server.Api.GetJsonAsync("/v1/api/rooms")).GetProperty("items")[0];

        Assert.Equal(room.Id, item.GetProperty("id").GetString());
        Assert.Equal("host", item.GetProperty("protocol").GetString());
        Assert.Equal("first", item.GetProperty("hostAssignment").GetString());
        Assert.Equal(5, item.GetProperty("maxClients").GetInt32());
        Assert.False(item.GetProperty("locked").GetBoolean());
        Assert.Equal(1, item.GetProperty("metadata").GetProperty("a").GetInt32());
        Assert.EndsWith("Z", item.GetProperty("createdAt").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, item.GetProperty("hostId").ValueKind);
        Assert.Equal(0, item.GetProperty("clientCount").GetInt32());
    }

    [Fact]
    public async Task List_accepts_the_maximum_limit_of_500()
    {
        var page = await Server.Api.GetJsonAsync("/v1/api/rooms?limit=500");

        Assert.Equal(500, page.GetProperty("limit").GetInt32());
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("limit=-1", "limit")]
    [InlineData("offset=-1", "offset")]
    public async Task List_with_an_out_of_range_parameter_answers_400_naming_it(string query, string field)
    {
        await Problems.AssertValidationErrorAsync(Server.Http.GetAsync($"/v1/api/rooms?{query}"), field);
    }

    [Theory]
    [InlineData("limit=abc", "limit")]
    [InlineData("offset=x", "offset")]
    [InlineData("limit=4.0", "limit")]
    [InlineData("limit=1e2", "limit")]
    [InlineData("limit=99999999999", "limit")]
    [InlineData("offset=true", "offset")]
    [InlineData("limit=5&limit=6", "limit")]
    public async Task List_with_a_non_numeric_parameter_answers_400_naming_it(string query, string field)
    {
        await Problems.AssertValidationErrorAsync(Server.Http.GetAsync($"/v1/api/rooms?{query}"), field);
    }

    [Fact]
    public async Task List_never_shows_secrets()
    {
        await using var server = await RelayServer.StartAsync();
        var room = await server.Api.CreateRoomAsync("""{"secret":"a-known-join-secret"}""");

        using var response = await server.Http.GetAsync("/v1/api/rooms");
        var raw = await response.Content.ReadAsStringAsync();

        Assert.Contains(room.Id, raw, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", raw, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(room.HostSecret, raw, StringComparison.Ordinal);
    }
}
