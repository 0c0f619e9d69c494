using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Rest;

public sealed partial class CreateRoomTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task Create_answers_201_with_a_Location_that_reads_the_room()
    {
        using var response = await Server.Api.PostJsonAsync("/v1/api/rooms", "{}");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await RelayApi.ReadJsonAsync(response);
        var id = body.GetProperty("id").GetString()!;
        var location = response.Headers.Location;
        Assert.NotNull(location);
        Assert.EndsWith($"/v1/api/rooms/{id}", location.OriginalString, StringComparison.Ordinal);

        var read = await Server.Api.GetJsonAsync(location.OriginalString);
        Assert.Equal(id, read.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Create_with_an_empty_body_applies_every_default()
    {
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        var room = (await Server.Api.CreateRoomAsync("{}")).Body;

        Assert.False(string.IsNullOrEmpty(room.GetProperty("id").GetString()));
        Assert.False(string.IsNullOrEmpty(room.GetProperty("secret").GetString()));
        Assert.False(string.IsNullOrEmpty(room.GetProperty("hostSecret").GetString()));
        Assert.NotEqual(room.GetProperty("secret").GetString(), room.GetProperty("hostSecret").GetString());
        Assert.Equal("mesh", room.GetProperty("protocol").GetString());
        Assert.Equal("first", room.GetProperty("hostAssignment").GetString());
        Assert.Equal(16, room.GetProperty("maxClients").GetInt32());
        Assert.Equal(JsonValueKind.False, room.GetProperty("locked").ValueKind);
        Assert.Equal(JsonValueKind.Object, room.GetProperty("metadata").ValueKind);
        Assert.Empty(room.GetProperty("metadata").EnumerateObject());
        Assert.Equal(JsonValueKind.Null, room.GetProperty("hostId").ValueKind);
        Assert.Equal(0, room.GetProperty("clientCount").GetInt32());

        var createdAt = room.GetProperty("createdAt").GetString()!;
        Assert.EndsWith("Z", createdAt, StringComparison.Ordinal);
        var parsed = DateTimeOffset.Parse(createdAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        Assert.InRange(parsed, before, DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task Create_honours_the_given_protocol_hostAssignment_maxClients_and_metadata()
    {
        var room = (await Server.Api.CreateRoomAsync(
            """{"protocol":"host","hostAssignment":"secret","maxClients":1000,"metadata":{"map":"harbour","round":3}}""")).Body;

        Assert.Equal("host", room.GetProperty("protocol").GetString());
        Assert.Equal("secret", room.GetProperty("hostAssignment").GetString());
        Assert.Equal(1000, room.GetProperty("maxClients").GetInt32());
        Assert.Equal("harbour", room.GetProperty("metadata").GetProperty("map").GetString());
        Assert.Equal(3, room.GetProperty("metadata").GetProperty("round").GetInt32());
    }

    [Fact]
    public async Task Create_honours_a_backend_supplied_id_and_secret()
    {
        var id = $"Backend_room-{Guid.NewGuid():N}";
        var created = await Server.Api.CreateRoomAsync($$"""{"id":"{{id}}","secret":"my-own-secret"}""");

        Assert.Equal(id, created.Id);
        Assert.Equal("my-own-secret", created.Secret);
        await using var client = await Server.ConnectClientAsync();
        var connected = await client.JoinAsync(id, "my-own-secret");
        Assert.Equal(id, connected.GetProperty("roomId").GetString());
    }

    [Fact]
    public async Task Create_with_an_id_that_is_taken_answers_409_problem()
    {
        var id = $"taken-{Guid.NewGuid():N}";
        await Server.Api.CreateRoomAsync($$"""{"id":"{{id}}"}""");

        using var response = await Server.Api.PostJsonAsync("/v1/api/rooms", $$"""{"id":"{{id}}"}""");

        await Problems.AssertProblemAsync(response, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Generated_ids_and_secrets_are_unique_url_safe_and_long_enough()
    {
        var rooms = new List<CreatedRoom>();
        for (var i = 0; i < 25; i++)
        {
            rooms.Add(await Server.Api.CreateRoomAsync());
        }

        Assert.Equal(rooms.Count, rooms.Select(r => r.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(rooms.Count, rooms.Select(r => r.Secret).Distinct(StringComparer.Ordinal).Count());
        Assert.All(rooms, room =>
        {
            Assert.Matches(UrlSafe(), room.Id);
            Assert.Equal(room.Id, Uri.EscapeDataString(room.Id));
            // 64 random bits need at least 11 base64url characters; 128 bits need 22.
            Assert.True(room.Id.Length >= 11, $"id '{room.Id}' is too short to hold 64 random bits");
            Assert.True(room.Secret.Length >= 22, "secret is too short to hold 128 random bits");
            Assert.True(room.HostSecret.Length >= 22, "hostSecret is too short to hold 128 random bits");
        });
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { """{"id":"has spaces"}""", "id" },
        { """{"id":"sl/ash"}""", "id" },
        { """{"id":"dotted.id"}""", "id" },
        { """{"id":""}""", "id" },
        { $$"""{"id":"{{new string('a', 65)}}"}""", "id" },
        { """{"maxClients":0}""", "maxClients" },
        { """{"maxClients":-3}""", "maxClients" },
        { """{"maxClients":1001}""", "maxClients" },
        { """{"protocol":"star"}""", "protocol" },
        { """{"protocol":"MESH"}""", "protocol" },
        { """{"hostAssignment":"random"}""", "hostAssignment" },
        { """{"metadata":[1,2]}""", "metadata" },
        { """{"metadata":"text"}""", "metadata" },
        { """{"metadata":42}""", "metadata" },
        { $$$"""{"metadata":{"k":"{{{new string('x', 4089)}}}"}}""", "metadata" },
        { """{"secret":"1234567"}""", "secret" },
        { """{"secret":""}""", "secret" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Create_with_an_invalid_field_answers_400_naming_the_field(string body, string field)
    {
        await Problems.AssertValidationErrorAsync(Server.Api.PostJsonAsync("/v1/api/rooms", body), field);
    }

    [Fact]
    public async Task Create_accepts_metadata_of_exactly_4096_bytes()
    {
        // {"k":"xxx...x"} is 8 bytes of JSON around the value.
        var metadata = $$"""{"k":"{{new string('x', 4096 - 8)}}"}""";
        Assert.Equal(4096, metadata.Length);

        var room = await Server.Api.CreateRoomAsync($$$"""{"metadata":{{{metadata}}}}""");

        Assert.Equal(4096 - 8, room.Body.GetProperty("metadata").GetProperty("k").GetString()!.Length);
    }

    [Fact]
    public async Task Create_accepts_a_backend_id_of_64_characters_and_a_secret_of_8()
    {
        var id = ("b-" + Guid.NewGuid().ToString("N") + new string('z', 64)).Substring(0, 64);

        var room = await Server.Api.CreateRoomAsync($$"""{"id":"{{id}}","secret":"12345678"}""");

        Assert.Equal(id, room.Id);
    }

    [Fact]
    public async Task Create_with_malformed_json_answers_400_problem()
    {
        using var response = await Server.Api.PostJsonAsync("/v1/api/rooms", "{not json");

        await Problems.AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Create_with_a_json_array_body_answers_400_problem()
    {
        using var response = await Server.Api.PostJsonAsync("/v1/api/rooms", "[]");

        await Problems.AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("""{"maxClients":"x"}""", "maxClients")]
    [InlineData("""{"maxClients":2.5}""", "maxClients")]
    [InlineData("""{"protocol":7}""", "protocol")]
    [InlineData("""{"id":true}""", "id")]
    public async Task Create_with_a_wrongly_typed_field_answers_400_naming_the_field(string body, string field)
    {
        await Problems.AssertValidationErrorAsync(Server.Api.PostJsonAsync("/v1/api/rooms", body), field);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex UrlSafe();
}
