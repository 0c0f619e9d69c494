using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Realtime;

/// <summary>
/// JSON escapes of unpaired UTF-16 surrogates (`\ud800` alone, a low surrogate first, a high one followed by
/// something else) are valid UTF-8 on the wire but no valid text: any field holding one is `bad_request`, and the
/// connection stays open, in a room or not.
/// </summary>
public sealed class LoneSurrogateTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    public static TheoryData<string> Messages => new()
    {
        """{"type":"ping","ref":"\ud800"}""",
        """{"type":"ping","ref":"\udc00"}""",
        """{"type":"ping","ref":"x\ud800\u0041"}""",
        """{"type":"\ud800"}""",
        """{"type":"ping\udfff"}""",
        """{"type":"connect","roomId":"\ud800","secret":"some-secret"}""",
        """{"type":"connect","roomId":"some-room","secret":"\udbff"}""",
        """{"type":"connect","roomId":"some-room","secret":"some-secret","name":"a\ud83d"}""",
        """{"type":"kick","clientId":2,"reason":"\ud800"}""",
        """{"type":"close_room","reason":"\udc00\ud800"}""",
        """{"type":"ping","\ud800":1}""",
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public async Task A_lone_surrogate_escape_is_bad_request_and_the_connection_stays_open(string message)
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var client = await Server.ConnectClientAsync();

        await client.SendTextAsync(message);
        await client.ExpectErrorAsync("bad_request");
        await client.AssertNothingPendingAsync();

        // The same in a room, where the message would otherwise reach the handlers.
        await client.JoinAsync(room.Id, room.Secret, "surrogates");
        await client.SendTextAsync(message);
        await client.ExpectErrorAsync("bad_request");
        await client.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task A_lone_surrogate_in_relayed_data_is_relayed_as_sent()
    {
        // Resume off: the relay is exactly the version 1 message, with no `seq`.
        var room = await Server.Api.CreateRoomAsync("""{"resumeWindowSeconds":0}""");
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");

        await peers[0].SendTextAsync("""{"type":"broadcast","data":{"odd":"\ud800"}}""");

        var relayed = await peers[1].ReceiveAsync();
        Assert.Equal($$$"""{"type":"message","from":{{{peers[0].ClientId}}},"data":{"odd":"\ud800"}}""", relayed.Text);
    }
}
