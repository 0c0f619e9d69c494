using System.Net;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Rest;

/// <summary>Every REST 503 tells the caller when to try again (`Retry-After: 1`).</summary>
public sealed class RetryAfterTests
{
    [Fact]
    public async Task A_create_over_MaxRooms_answers_503_with_Retry_After()
    {
        await using var server = await RelayServer.StartAsync(("Relay:MaxRooms", "1"));
        await server.Api.CreateRoomAsync();

        using var response = await server.Api.PostJsonAsync("/v1/api/rooms", "{}");

        await Problems.AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Answers_other_than_503_carry_no_Retry_After()
    {
        await using var server = await RelayServer.StartAsync();

        using var missing = await server.Http.GetAsync("/v1/api/rooms/no-such-room");

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Null(missing.Headers.RetryAfter);
    }
}
