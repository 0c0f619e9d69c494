using System.Net.WebSockets;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Realtime;

/// <summary>`Relay:MaxMessageBytes`: a larger client message closes the connection with 1009.</summary>
public sealed class MessageSizeTests
{
    private const int Limit = 2048;

    /// <summary>The bytes a <see cref="BroadcastOfSize"/> message spends around its data string's content.</summary>
    internal const int BroadcastOverhead = 30;

    /// <summary>A `broadcast` of exactly <paramref name="bytes"/> bytes of UTF-8.</summary>
    internal static string BroadcastOfSize(int bytes)
    {
        const string Prefix = "{\"type\":\"broadcast\",\"data\":\"";
        const string Suffix = "\"}";
        var text = Prefix + new string('x', bytes - Prefix.Length - Suffix.Length) + Suffix;
        Assert.Equal(BroadcastOverhead, Prefix.Length + Suffix.Length);
        Assert.Equal(bytes, text.Length);
        return text;
    }

    [Fact]
    public async Task A_message_over_the_limit_closes_the_connection_with_1009()
    {
        await using var server = await RelayServer.StartAsync(("Relay:MaxMessageBytes", "2048"));
        var room = await server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(server, room, "alice", "bob");

        await peers[0].SendTextAsync(BroadcastOfSize(3000));

        var (status, _) = await peers[0].WaitForCloseAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
    }

    [Fact]
    public async Task A_message_over_the_limit_is_not_relayed_and_the_sender_leaves_the_room()
    {
        await using var server = await RelayServer.StartAsync(("Relay:MaxMessageBytes", "2048"));
        var room = await server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(server, room, "host", "sender");

        await peers[1].SendTextAsync(BroadcastOfSize(3000));

        var notice = await peers[0].ExpectAsync("client_left");
        Assert.Equal(peers[1].ClientId, notice.GetProperty("clientId").GetInt32());
        await peers[0].AssertNothingPendingAsync();
    }

    [Fact]
    public async Task A_message_one_byte_over_the_limit_closes_with_1009()
    {
        await using var server = await RelayServer.StartAsync(("Relay:MaxMessageBytes", "2048"));
        var room = await server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(server, room, "alice");

        await peers[0].SendTextAsync(BroadcastOfSize(Limit + 1));

        var (status, _) = await peers[0].WaitForCloseAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
    }

    [Fact]
    public async Task A_message_of_exactly_the_limit_is_accepted_and_relayed()
    {
        await using var server = await RelayServer.StartAsync(("Relay:MaxMessageBytes", "2048"));
        var room = await server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(server, room, "alice", "bob");
        var message = BroadcastOfSize(Limit);

        await peers[0].SendTextAsync(message);

        var relayed = await peers[1].ExpectAsync("message");
        Assert.Equal(Limit - BroadcastOverhead, relayed.GetProperty("data").GetString()!.Length);
        await peers[0].AssertNothingPendingAsync();
    }

    [Fact]
    public async Task A_message_over_the_limit_before_connect_closes_with_1009()
    {
        await using var server = await RelayServer.StartAsync(("Relay:MaxMessageBytes", "2048"));
        await using var client = await server.ConnectClientAsync();

        await client.SendTextAsync($$"""{"type":"ping","ref":"x","padding":"{{new string('p', 3000)}}"}""");

        var (status, _) = await client.WaitForCloseAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
    }

    [Fact]
    public async Task The_default_limit_is_64_KiB()
    {
        await using var server = await RelayServer.StartAsync();
        var room = await server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(server, room, "alice", "bob");

        await peers[0].SendTextAsync(BroadcastOfSize(65536));
        await peers[1].ExpectAsync("message");
        await peers[0].SendTextAsync(BroadcastOfSize(65537));

        var (status, _) = await peers[0].WaitForCloseAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
    }
}
