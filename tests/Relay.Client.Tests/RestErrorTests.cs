using System.Net;
using Relay.Client.Tests.Infrastructure;

namespace Relay.Client.Tests;

/// <summary>REST failures surface as <see cref="RelayApiException"/> with the server's problem details.</summary>
public sealed class RestErrorTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly RelayApiClient _api = fixture.Server.Api;

    [Fact]
    public async Task Validation_failure_is_a_400_with_the_errors_map()
    {
        var error = await Assert.ThrowsAsync<RelayApiException>(() => _api.CreateRoomAsync(new CreateRoomRequest
        {
            Secret = "short",
            MaxClients = 0,
            Protocol = "ring",
        }));

        Assert.Equal(400, error.Status);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal("The request is invalid.", error.Title);
        Assert.False(string.IsNullOrEmpty(error.Detail));
        Assert.Contains("secret must have 8 to 256 characters", error.Errors["secret"]);
        Assert.Contains("maxClients must be between 1 and 1000", error.Errors["maxClients"]);
        Assert.True(error.Errors.ContainsKey("protocol"));
        Assert.Contains("maxClients", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_room_id_and_metadata_are_400s_naming_the_field()
    {
        var id = await Assert.ThrowsAsync<RelayApiException>(() => _api.CreateRoomAsync(new CreateRoomRequest { Id = "not valid!" }));
        Assert.True(id.Errors.ContainsKey("id"));

        var metadata = await Assert.ThrowsAsync<RelayApiException>(() => _api.CreateRoomAsync(new CreateRoomRequest { Metadata = Json.Parse("[1]") }));
        Assert.True(metadata.Errors.ContainsKey("metadata"));

        var room = await _api.CreateRoomAsync();
        var update = await Assert.ThrowsAsync<RelayApiException>(() => _api.UpdateRoomAsync(room.Id, new UpdateRoomRequest { MaxClients = 100_000 }));
        Assert.Equal(400, update.Status);
        Assert.True(update.Errors.ContainsKey("maxClients"));
    }

    [Fact]
    public async Task List_and_push_validation_failures_are_400s()
    {
        var limit = await Assert.ThrowsAsync<RelayApiException>(() => _api.ListRoomsAsync(limit: 501));
        Assert.Equal(400, limit.Status);
        Assert.NotEmpty(limit.Errors);

        var room = await _api.CreateRoomAsync();
        var push = await Assert.ThrowsAsync<RelayApiException>(() => _api.PushMessageAsync(room.Id, Json.Parse("1"), to: []));
        Assert.Equal(400, push.Status);
        Assert.NotEmpty(push.Errors);
    }

    [Fact]
    public async Task Unknown_room_is_a_404_for_every_room_operation()
    {
        var calls = new Func<Task>[]
        {
            () => _api.GetRoomAsync("no-such-room"),
            () => _api.UpdateRoomAsync("no-such-room", new UpdateRoomRequest { Locked = true }),
            () => _api.DeleteRoomAsync("no-such-room"),
            () => _api.PushMessageAsync("no-such-room", Json.Parse("1")),
            () => _api.KickClientAsync("no-such-room", 1),
        };

        foreach (var call in calls)
        {
            var error = await Assert.ThrowsAsync<RelayApiException>(call);
            Assert.Equal(404, error.Status);
            Assert.Equal("Not found", error.Title);
            Assert.Contains("no-such-room", error.Detail, StringComparison.Ordinal);
            Assert.Empty(error.Errors);
        }
    }

    [Fact]
    public async Task Kicking_an_unknown_client_is_a_404()
    {
        var room = await _api.CreateRoomAsync();
        var error = await Assert.ThrowsAsync<RelayApiException>(() => _api.KickClientAsync(room.Id, 42));
        Assert.Equal(404, error.Status);
    }

    [Fact]
    public async Task A_taken_room_id_is_a_409()
    {
        var id = "taken-" + Guid.NewGuid().ToString("N")[..10];
        await _api.CreateRoomAsync(new CreateRoomRequest { Id = id });

        var error = await Assert.ThrowsAsync<RelayApiException>(() => _api.CreateRoomAsync(new CreateRoomRequest { Id = id }));

        Assert.Equal(409, error.Status);
        Assert.Equal("Conflict", error.Title);
    }

    [Fact]
    public async Task Raw_push_data_that_is_not_json_is_refused_before_sending()
    {
        var room = await _api.CreateRoomAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => _api.PushMessageJsonAsync(room.Id, "{bad"u8.ToArray()));
        await Assert.ThrowsAsync<ArgumentException>(() => _api.PushMessageJsonAsync(room.Id, "1 2"u8.ToArray()));
    }
}

/// <summary>A server with an API key and a room limit.</summary>
public sealed class KeyedServerTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(withApiKey: true, "Relay:MaxRooms=2");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Missing_or_wrong_api_key_is_a_401_and_the_right_key_works()
    {
        using var anonymous = new RelayApiClient(_server.Address);
        using var wrong = new RelayApiClient(_server.Address, "not-the-right-key-0000");

        foreach (var api in new[] { anonymous, wrong })
        {
            var error = await Assert.ThrowsAsync<RelayApiException>(() => api.GetSummaryAsync());
            Assert.Equal(401, error.Status);
            Assert.Equal("Unauthorized", error.Title);
            Assert.Contains("X-Api-Key", error.Detail, StringComparison.Ordinal);

            // Checked before the body: an invalid body still gets 401, not 400.
            var create = await Assert.ThrowsAsync<RelayApiException>(() => api.CreateRoomAsync(new CreateRoomRequest { MaxClients = 0 }));
            Assert.Equal(401, create.Status);
        }

        var summary = await _server.Api.GetSummaryAsync();
        Assert.True(summary.UptimeSeconds >= 0);
    }

    [Fact]
    public async Task Creating_more_rooms_than_the_server_holds_is_a_503()
    {
        var api = _server.Api;
        var kept = new List<string>();
        RelayApiException? refused = null;
        for (var i = 0; i < 3 && refused is null; i++)
        {
            try
            {
                kept.Add((await api.CreateRoomAsync()).Id);
            }
            catch (RelayApiException ex)
            {
                refused = ex;
            }
        }

        Assert.NotNull(refused);
        Assert.Equal(503, refused.Status);
        Assert.Contains("Relay:MaxRooms", refused.Detail, StringComparison.Ordinal);

        await api.DeleteRoomAsync(kept[0]);
        Assert.NotNull(await api.CreateRoomAsync());
    }
}
