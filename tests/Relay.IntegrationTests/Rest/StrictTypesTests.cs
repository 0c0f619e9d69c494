using System.Net;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Rest;

/// <summary>
/// The REST binder is strict: a value of the wrong JSON type (a number in a string, a string for a boolean,
/// an object for a list) is a 400 whose `errors` map names the field, and nothing is changed.
/// </summary>
public sealed class StrictTypesTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    public static TheoryData<string, string> CreateBodies => new()
    {
        { """{"maxClients":"4"}""", "maxClients" },
        { """{"maxClients":" 4"}""", "maxClients" },
        { """{"maxClients":true}""", "maxClients" },
        { """{"maxClients":4.5}""", "maxClients" },
        { """{"maxClients":1e400}""", "maxClients" },
        { """{"maxClients":[4]}""", "maxClients" },
        { """{"id":42}""", "id" },
        { """{"id":{"value":"room"}}""", "id" },
        { """{"secret":12345678}""", "secret" },
        { """{"secret":["a-long-secret"]}""", "secret" },
        { """{"secret":"\ud800\ud800\ud800\ud800"}""", "secret" },
        { """{"id":"room-\udfff"}""", "id" },
        { """{"protocol":1}""", "protocol" },
        { """{"protocol":["mesh"]}""", "protocol" },
        { """{"hostAssignment":0}""", "hostAssignment" },
        { """{"hostAssignment":false}""", "hostAssignment" },
        { """{"metadata":"{\"map\":\"harbor\"}"}""", "metadata" },
        { """{"metadata":[{"map":"harbor"}]}""", "metadata" },
        { """{"metadata":7}""", "metadata" },
        { """{"metadata":true}""", "metadata" },
    };

    [Theory]
    [MemberData(nameof(CreateBodies))]
    public async Task Create_with_a_value_of_the_wrong_type_or_an_unreadable_string_answers_400_naming_the_field(string body, string field)
    {
        var before = await RoomCountAsync();

        await Problems.AssertValidationErrorAsync(Server.Api.PostJsonAsync("/v1/api/rooms", body), field);

        Assert.Equal(before, await RoomCountAsync());
    }

    public static TheoryData<string, string> UpdateBodies => new()
    {
        { """{"maxClients":"4"}""", "maxClients" },
        { """{"maxClients":false}""", "maxClients" },
        { """{"locked":"true"}""", "locked" },
        { """{"locked":1}""", "locked" },
        { """{"locked":[true]}""", "locked" },
        { """{"metadata":"text"}""", "metadata" },
        { """{"metadata":[1]}""", "metadata" },
    };

    [Theory]
    [MemberData(nameof(UpdateBodies))]
    public async Task Update_with_a_value_of_the_wrong_type_answers_400_naming_the_field_and_changes_nothing(string body, string field)
    {
        var room = await Server.Api.CreateRoomAsync("""{"maxClients":5,"metadata":{"keep":1}}""");

        await Problems.AssertValidationErrorAsync(Server.Api.PatchJsonAsync($"/v1/api/rooms/{room.Id}", body), field);

        var read = await Server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}");
        Assert.Equal(5, read.GetProperty("maxClients").GetInt32());
        Assert.False(read.GetProperty("locked").GetBoolean());
        Assert.Equal("""{"keep":1}""", read.GetProperty("metadata").GetRawText());
    }

    public static TheoryData<string, string> PushBodies => new()
    {
        { """{"data":1,"to":"2"}""", "to" },
        { """{"data":1,"to":2}""", "to" },
        { """{"data":1,"to":{"0":2}}""", "to" },
        { """{"data":1,"to":["2"]}""", "to[0]" },
        { """{"data":1,"to":[1,"2"]}""", "to[1]" },
        { """{"data":1,"to":[2.5]}""", "to[0]" },
        { """{"data":1,"to":[true]}""", "to[0]" },
        { """{"data":1,"to":[null]}""", "to[0]" },
    };

    [Theory]
    [MemberData(nameof(PushBodies))]
    public async Task Push_with_a_value_of_the_wrong_type_answers_400_naming_the_field_and_sends_nothing(string body, string field)
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var client = await Server.ConnectClientAsync();
        await client.JoinAsync(room.Id, room.Secret);

        await Problems.AssertValidationErrorAsync(Server.Api.PostJsonAsync($"/v1/api/rooms/{room.Id}/messages", body), field);

        await client.AssertNothingPendingAsync();
    }

    /// <summary>Found by <see cref="Hardening.RestBinderFuzzTests"/>: a JSON value kept as sent must be valid UTF-8 (it was a 500).</summary>
    [Theory]
    [InlineData("/v1/api/rooms", "POST", "{\"metadata\":{\"map\":\"h\xC0rbor\"}}", "metadata")]
    [InlineData("/v1/api/rooms/{id}", "PATCH", "{\"metadata\":{\"k\":\"\xED\xA0\x80\"}}", "metadata")]
    [InlineData("/v1/api/rooms/{id}/messages", "POST", "{\"data\":[\"\xFF\"]}", "data")]
    public async Task A_json_value_with_invalid_utf8_answers_400_naming_the_field(string path, string method, string body, string field)
    {
        var room = await Server.Api.CreateRoomAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", room.Id, StringComparison.Ordinal))
        {
            // Each char of the test data is one byte, so that bytes which are not UTF-8 reach the server as they are.
            Content = new ByteArrayContent(System.Text.Encoding.Latin1.GetBytes(body)) { Headers = { ContentType = new("application/json") } },
        };

        await Problems.AssertValidationErrorAsync(Server.Http.SendAsync(request), field);
        await Server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}");
    }

    [Fact]
    public async Task Values_of_the_right_type_are_still_accepted()
    {
        var room = await Server.Api.CreateRoomAsync("""{"maxClients":4,"protocol":"host","hostAssignment":"secret","metadata":null}""");
        Assert.Equal(4, room.Body.GetProperty("maxClients").GetInt32());

        using var patched = await Server.Api.PatchJsonAsync($"/v1/api/rooms/{room.Id}", """{"maxClients":6,"locked":true,"metadata":{"a":[1,"2",true]}}""");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        using var pushed = await Server.Api.PostJsonAsync($"/v1/api/rooms/{room.Id}/messages", """{"data":"4","to":[1,2]}""");
        Assert.Equal(HttpStatusCode.Accepted, pushed.StatusCode);
    }

    private async Task<int> RoomCountAsync() => (await Server.Api.GetJsonAsync("/v1/api/summary")).GetProperty("rooms").GetInt32();
}
