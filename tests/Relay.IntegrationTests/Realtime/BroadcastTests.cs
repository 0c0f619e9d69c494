using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Realtime;

public sealed class BroadcastTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task Broadcast_reaches_every_other_client_but_not_the_sender()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob", "carol");

        await peers[1].SendTextAsync("""{"type":"broadcast","data":"hi all"}""");

        foreach (var receiver in new[] { peers[0], peers[2] })
        {
            var message = await receiver.ExpectAsync("message");
            Assert.Equal(peers[1].ClientId, message.GetProperty("from").GetInt32());
            Assert.Equal("hi all", message.GetProperty("data").GetString());
        }

        await peers[1].AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Broadcast_does_not_leave_the_room()
    {
        var room = await Server.Api.CreateRoomAsync();
        var elsewhere = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");
        await using var outsider = await RoomHarness.JoinAsync(Server, elsewhere, "eve");
        await using var unconnected = await Server.ConnectClientAsync();

        await peers[0].SendTextAsync("""{"type":"broadcast","data":1}""");

        await peers[1].ExpectAsync("message");
        await outsider[0].AssertNothingPendingAsync();
        await unconnected.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Broadcast_to_a_room_of_one_is_accepted_silently()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice");

        await peers[0].SendTextAsync("""{"type":"broadcast","data":"alone"}""");

        await peers[0].AssertNothingPendingAsync();
    }

    public static TheoryData<string> DataValues => new()
    {
        "\"text\"",
        "\"\"",
        "42",
        "-0",
        "1.0e3",
        "2.50",
        "1E-7",
        "123456789012345678901234567890",
        "null",
        "true",
        "false",
        "[]",
        "{}",
        "[1, \"two\" ,null,\t[ ]]",
        "{ \"a\" :\t{\"b\":[ 1 , 2 ]},\n  \"c\": 1.10 ,\r\n\"a\":2 }",
        "\"caf\\u00e9 é 😀 \\\"quoted\\\" \\/ \\n\"",
        "{\"z\":1,\"a\":2}",
    };

    [Theory]
    [MemberData(nameof(DataValues))]
    public async Task Broadcast_relays_data_byte_for_byte(string data)
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");

        await peers[0].SendTextAsync($$"""{"type":"broadcast","data":{{data}}}""");

        var received = await peers[1].ReceiveAsync();
        Assert.True(received.IsText);
        Assert.Equal(data, received.Json.GetProperty("data").GetRawText());
        Assert.Contains($"\"data\":{data}", received.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Broadcast_relays_data_that_comes_before_the_type()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");

        await peers[0].SendTextAsync("""{ "data" : { "k" : [ 1.50 ] } , "ref": "x", "type" : "broadcast" }""");

        var message = await peers[1].ExpectAsync("message");
        Assert.Equal("""{ "k" : [ 1.50 ] }""", message.GetProperty("data").GetRawText());
        Assert.False(message.TryGetProperty("ref", out _), message.GetRawText());
    }

    [Fact]
    public async Task Broadcasts_from_one_client_arrive_in_order()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");

        for (var i = 0; i < 50; i++)
        {
            await peers[0].SendTextAsync($$"""{"type":"broadcast","data":{{i}}}""");
        }

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(i, (await peers[1].ExpectAsync("message")).GetProperty("data").GetInt32());
        }
    }
}
