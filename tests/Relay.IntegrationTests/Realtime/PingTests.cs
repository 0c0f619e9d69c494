using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Realtime;

public sealed class PingTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task Ping_before_connect_answers_pong_with_the_ref()
    {
        await using var client = await Server.ConnectClientAsync();

        await client.SendJsonAsync(new { type = "ping", @ref = "p-1" });

        Assert.Equal("p-1", (await client.ExpectAsync("pong")).GetProperty("ref").GetString());
    }

    [Fact]
    public async Task Ping_in_a_room_answers_pong_with_an_integer_ref()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");

        await peers[0].SendTextAsync("""{"type":"ping","ref":42}""");

        var pong = await peers[0].ExpectAsync("pong");
        Assert.Equal(JsonValueKind.Number, pong.GetProperty("ref").ValueKind);
        Assert.Equal(42, pong.GetProperty("ref").GetInt32());
        await peers[1].AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Ping_without_a_ref_answers_pong_without_a_ref()
    {
        await using var client = await Server.ConnectClientAsync();

        await client.SendTextAsync("""{"type":"ping"}""");

        var pong = await client.ExpectAsync("pong");
        Assert.False(pong.TryGetProperty("ref", out _), pong.GetRawText());
    }

    [Fact]
    public async Task Ping_ignores_unknown_fields()
    {
        await using var client = await Server.ConnectClientAsync();

        await client.SendTextAsync("""{"type":"ping","extra":{"nested":[1,2]},"ref":"x"}""");

        Assert.Equal("x", (await client.ExpectAsync("pong")).GetProperty("ref").GetString());
    }
}
