using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Realtime;

public sealed class SendTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task Send_reaches_the_listed_clients_only()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob", "carol", "dave");

        await peers[0].SendTextAsync($$$"""{"type":"send","to":[{{{peers[1].ClientId}}},{{{peers[2].ClientId}}}],"data":{ "secret" : "plan" }}""");

        foreach (var receiver in new[] { peers[1], peers[2] })
        {
            var message = await receiver.ExpectAsync("message");
            Assert.Equal(peers[0].ClientId, message.GetProperty("from").GetInt32());
            Assert.Equal("""{ "secret" : "plan" }""", message.GetProperty("data").GetRawText());
        }

        await peers[3].AssertNothingPendingAsync();
        await peers[0].AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Send_to_a_client_listed_twice_is_delivered_once()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");
        var bob = peers[1].ClientId;

        await peers[0].SendTextAsync($$"""{"type":"send","to":[{{bob}},{{bob}},{{bob}}],"data":"once"}""");

        Assert.Equal("once", (await peers[1].ExpectAsync("message")).GetProperty("data").GetString());
        await peers[1].AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Send_to_an_unknown_client_fails_with_unknown_client_and_reaches_nobody()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob", "carol");

        await peers[0].SendTextAsync($$"""{"type":"send","to":[{{peers[1].ClientId}},99],"data":"lost","ref":"s-1"}""");

        var error = await peers[0].ExpectErrorAsync("unknown_client");
        Assert.Equal("s-1", error.GetProperty("ref").GetString());
        await peers[1].AssertNothingPendingAsync();
        await peers[2].AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Send_to_a_client_that_left_fails_with_unknown_client()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");
        var bob = peers[1].ClientId;
        await peers[1].SendJsonAsync(new { type = "leave" });
        await peers[1].ExpectAsync("left");
        await peers[0].ExpectAsync("client_left");

        await peers[0].SendTextAsync($$"""{"type":"send","to":[{{bob}}],"data":"late"}""");

        await peers[0].ExpectErrorAsync("unknown_client");
        await peers[1].AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Send_does_not_reach_a_client_with_the_same_id_in_another_room()
    {
        var room = await Server.Api.CreateRoomAsync();
        var other = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice");
        await using var elsewhere = await RoomHarness.JoinAsync(Server, other, "x", "y");

        await peers[0].SendTextAsync("""{"type":"send","to":[2],"data":"nope"}""");

        await peers[0].ExpectErrorAsync("unknown_client");
        await elsewhere[1].AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Send_keeps_the_connection_usable_after_an_error()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");
        await peers[0].SendTextAsync("""{"type":"send","to":[42],"data":1}""");
        await peers[0].ExpectErrorAsync("unknown_client");

        await peers[0].SendTextAsync($$"""{"type":"send","to":[{{peers[1].ClientId}}],"data":2}""");

        Assert.Equal(2, (await peers[1].ExpectAsync("message")).GetProperty("data").GetInt32());
    }
}
