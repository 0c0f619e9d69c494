using System.Net.WebSockets;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Lifecycle;

/// <summary>`Relay:KeepAliveSeconds`: a peer that never answers the server's pings is dropped as `timeout`; 0 turns pings off.</summary>
public sealed class KeepAliveTests
{
    /// <param name="leanUpgrade">`Relay:LeanUpgrade`: the lean path's stream notes the reads itself, the HTTP layer's is wrapped.</param>
    [Theory]
    [InlineData("true")]
    [InlineData("false")]
    public async Task Client_that_stops_reading_is_dropped_and_the_others_get_client_left_timeout(string leanUpgrade)
    {
        await using var server = await RelayServer.StartAsync(("Relay:KeepAliveSeconds", "1"), ("Relay:LeanUpgrade", leanUpgrade));
        var room = await server.Api.CreateRoomAsync();
        await using var observer = await server.ConnectClientAsync();
        await observer.JoinAsync(room.Id, room.Secret, "observer");

        // A raw socket that sends its connect and then never reads again, so it never answers a ping.
        using var silent = new ClientWebSocket();
        silent.Options.KeepAliveInterval = TimeSpan.Zero;
        using (var cts = new CancellationTokenSource(TestClient.DefaultTimeout))
        {
            await silent.ConnectAsync(server.WebSocketUri, cts.Token);
            var connect = JsonSerializer.SerializeToUtf8Bytes(new { type = "connect", roomId = room.Id, secret = room.Secret, name = "silent" });
            await silent.SendAsync(connect, WebSocketMessageType.Text, endOfMessage: true, cts.Token);
        }

        var joined = await observer.ExpectAsync("client_joined");
        var silentId = joined.GetProperty("clientId").GetInt32();

        var left = await observer.ExpectAsync("client_left", TimeSpan.FromSeconds(6));
        Assert.Equal(silentId, left.GetProperty("clientId").GetInt32());
        Assert.Equal("timeout", left.GetProperty("reason").GetString());
        silent.Abort();
    }

    /// <param name="leanUpgrade">`Relay:LeanUpgrade`: both ways of noting that the client answers the pings.</param>
    [Theory]
    [InlineData("true")]
    [InlineData("false")]
    public async Task Client_that_keeps_reading_is_not_dropped(string leanUpgrade)
    {
        await using var server = await RelayServer.StartAsync(
            ("Relay:KeepAliveSeconds", "1"), ("Relay:ConnectTimeoutSeconds", "3"), ("Relay:LeanUpgrade", leanUpgrade));
        var room = await server.Api.CreateRoomAsync();
        await using var first = await server.ConnectClientAsync(o => o.KeepAliveInterval = TimeSpan.Zero);
        await using var second = await server.ConnectClientAsync(o => o.KeepAliveInterval = TimeSpan.Zero);
        await first.JoinAsync(room.Id, room.Secret);
        await second.JoinAsync(room.Id, room.Secret);
        await first.ExpectAsync("client_joined");

        // Three seconds: well past twice the ping interval.
        await Lifecycle.WaitOneConnectTimeoutAsync(server, TimeSpan.FromSeconds(10));

        await first.AssertNothingPendingAsync();
        await second.AssertNothingPendingAsync();
        Assert.True(Lifecycle.IsOpen(first));
        Assert.True(Lifecycle.IsOpen(second));
    }

    /// <summary>A raw client (it answers no ping) joined to <paramref name="room"/>: the `connected` it got.</summary>
    private static async Task<RawWebSocket> JoinRawAsync(RelayServer server, CreatedRoom room)
    {
        var raw = await RawWebSocket.ConnectAsync(server.WebSocketUri);
        Assert.Equal(101, raw.StatusCode);
        await raw.SendTextAsync(JsonSerializer.Serialize(new { type = "connect", roomId = room.Id, secret = room.Secret, name = "raw" }));
        Assert.Contains("\"type\":\"connected\"", await raw.ReadTextAsync(), StringComparison.Ordinal);
        return raw;
    }

    [Fact]
    public async Task The_server_pings_every_KeepAliveSeconds_with_a_ping_frame()
    {
        await using var server = await RelayServer.StartAsync(("Relay:KeepAliveSeconds", "1"));
        var room = await server.Api.CreateRoomAsync();
        await using var raw = await JoinRawAsync(server, room);

        // What the test below relies on: a raw client sees the server's pings as they come.
        var frame = await raw.ReadFrameAsync();
        Assert.True(frame is { Opcode: RawOpcode.Ping }, $"expected a ping frame, got {frame?.ToString() ?? "the end of the connection"}");
    }

    [Fact]
    public async Task With_KeepAliveSeconds_0_the_server_never_pings_and_keeps_a_client_that_answers_nothing()
    {
        await using var server = await RelayServer.StartAsync(("Relay:KeepAliveSeconds", "0"), ("Relay:ConnectTimeoutSeconds", "3"));
        var room = await server.Api.CreateRoomAsync();
        await using var observer = await server.ConnectClientAsync();
        await observer.JoinAsync(room.Id, room.Secret, "observer");
        await using var raw = await JoinRawAsync(server, room);
        await observer.ExpectAsync("client_joined");

        // Three seconds (the server's own connect timer as the clock): three times a 1-second interval.
        await Lifecycle.WaitOneConnectTimeoutAsync(server, TimeSpan.FromSeconds(10));

        // Nothing came before the answer to its own ping: no ping frame, no close. And nobody heard it leave.
        await raw.SendTextAsync("""{"type":"ping","ref":"still-here"}""");
        var frame = await raw.ReadFrameAsync();
        Assert.True(frame is { Opcode: RawOpcode.Text }, $"expected the pong as the first frame, got {frame?.ToString() ?? "the end of the connection"}");
        Assert.Contains("\"ref\":\"still-here\"", frame!.Text, StringComparison.Ordinal);
        await observer.AssertNothingPendingAsync();
        Assert.Equal(2, (await server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}")).GetProperty("clientCount").GetInt32());
    }
}
