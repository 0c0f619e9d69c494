using System.IO.Compression;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Conformance;

/// <summary>
/// `Relay:Compression:*`: `permessage-deflate` (RFC 7692) with no context takeover, negotiated per connection.
/// Real .NET clients with and without compression share rooms on a real server; a hand-written client sees the
/// RSV1 bit of every frame and sends frames no library would (a compressed bomb, a compressed frame without the
/// extension).
/// </summary>
public sealed class CompressionTests(CompressionTests.CompressingServer compressing, DefaultServerFixture plain)
    : IClassFixture<CompressionTests.CompressingServer>, IClassFixture<DefaultServerFixture>
{
    private const string Accepted = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

    /// <summary>The server's `Relay:MaxMessageBytes`: every bomb here inflates far past it.</summary>
    private const int Limit = 4096;

    private RelayServer Server => compressing.Server;

    [Fact]
    public async Task A_compressing_client_is_answered_with_permessage_deflate_without_context_takeover()
    {
        await using var client = await ConnectCompressingAsync(Server);

        Assert.True(client.Socket.HttpResponseHeaders!.TryGetValue("Sec-WebSocket-Extensions", out var extensions));
        Assert.Equal([Accepted], extensions);
    }

    [Fact]
    public async Task With_the_lean_upgrade_off_the_HTTP_layer_negotiates_the_same_and_relays_compressed()
    {
        await using var server = await RelayServer.StartAsync(("Relay:Compression:Enabled", "true"), ("Relay:LeanUpgrade", "false"));
        var room = await server.Api.CreateRoomAsync();
        await using var client = await ConnectCompressingAsync(server);
        await client.JoinAsync(room.Id, room.Secret);
        await using var sender = await server.ConnectClientAsync();
        await sender.JoinAsync(room.Id, room.Secret);
        await client.ExpectAsync("client_joined");

        Assert.True(client.Socket.HttpResponseHeaders!.TryGetValue("Sec-WebSocket-Extensions", out var extensions));
        Assert.Equal([Accepted], extensions);
        var data = GameState(1024);
        await sender.SendTextAsync($$"""{"type":"broadcast","data":{{data}}}""");
        Assert.Contains(data, (await NextMessageAsync(client)).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_relayed_1_KB_message_reaches_compressing_and_plain_clients_alike_and_goes_compressed_to_the_compressing_ones()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var raw = await JoinRawAsync(Server, room);
        await using var compressed = await ConnectCompressingAsync(Server);
        await compressed.JoinAsync(room.Id, room.Secret);
        await using var uncompressed = await Server.ConnectClientAsync();
        await uncompressed.JoinAsync(room.Id, room.Secret);
        await using var sender = await Server.ConnectClientAsync();
        await sender.JoinAsync(room.Id, room.Secret);
        var data = GameState(1024);

        await sender.SendTextAsync($$"""{"type":"broadcast","data":{{data}}}""");

        var plainText = (await NextMessageAsync(uncompressed)).Text;
        var compressedText = (await NextMessageAsync(compressed)).Text;
        Assert.Equal(plainText, compressedText);
        Assert.Equal(data, JsonDocument.Parse(plainText).RootElement.GetProperty("data").GetRawText());
        var frame = await NextRawMessageAsync(raw);
        Assert.True(frame.Rsv1, "a 1 KB relay to a compressing client is compressed");
        Assert.True(frame.Payload.Length < Encoding.UTF8.GetByteCount(plainText) / 2, $"{frame.Payload.Length} bytes on the wire for {plainText.Length}");
        Assert.Equal(plainText, Encoding.UTF8.GetString(Inflate(frame.Payload)));
    }

    [Fact]
    public async Task A_message_under_min_bytes_goes_plain_to_a_compressing_client()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var raw = await JoinRawAsync(Server, room);
        await using var sender = await Server.ConnectClientAsync();
        await sender.JoinAsync(room.Id, room.Secret);

        // About 200 bytes relayed: under the default Relay:Compression:MinBytes of 256.
        await sender.SendTextAsync("""{"type":"broadcast","data":{"kind":"chat","from":"alice","text":"gg, rematch? same map, same teams, first to three rounds wins, loser picks the next map and the side","at":1718000000}}""");

        var frame = await NextRawMessageAsync(raw);
        Assert.False(frame.Rsv1, $"a {frame.Payload.Length}-byte relay is sent plain");
        Assert.InRange(frame.Payload.Length, 150, 255);
        Assert.Contains("rematch", frame.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_compressed_client_message_is_inflated_and_relayed()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var receiver = await Server.ConnectClientAsync();
        await receiver.JoinAsync(room.Id, room.Secret);
        await using var sender = await ConnectCompressingAsync(Server);
        await sender.JoinAsync(room.Id, room.Secret);
        var data = GameState(2048);

        await sender.SendTextAsync($$"""{"type":"broadcast","data":{{data}}}""");

        var message = await NextMessageAsync(receiver);
        Assert.Equal(data, message.Json.GetProperty("data").GetRawText());
        await sender.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task With_compression_disabled_the_offer_is_declined_and_the_connection_works_plain()
    {
        await using var raw = await RawWebSocket.ConnectAsync(
            plain.Server.BaseAddress, extraHeaders: [("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")]);
        await using var client = await ConnectCompressingAsync(plain.Server);

        Assert.Equal(101, raw.StatusCode);
        Assert.False(raw.Headers.ContainsKey("Sec-WebSocket-Extensions"));
        Assert.False(client.Socket.HttpResponseHeaders!.ContainsKey("Sec-WebSocket-Extensions"));
        await raw.SendTextAsync("""{"type":"ping","ref":"plain"}""");
        var pong = await raw.ReadFrameAsync();
        Assert.False(pong!.Rsv1);
        Assert.Equal("""{"type":"pong","ref":"plain"}""", pong.Text);
        await client.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task A_compressed_frame_without_the_extension_is_a_protocol_error()
    {
        await using var raw = await RawWebSocket.ConnectAsync(plain.Server.BaseAddress);

        await raw.SendFrameAsync(RawOpcode.Text | Rsv1, Deflate("""{"type":"ping"}"""u8.ToArray()));

        var close = await NextCloseAsync(raw);
        Assert.Equal(1002, close.CloseCode);
    }

    [Fact]
    public async Task A_decompression_bomb_is_closed_with_1009_and_the_server_serves_everyone_else()
    {
        await using var raw = await RawWebSocket.ConnectAsync(
            Server.BaseAddress, extraHeaders: [("Sec-WebSocket-Extensions", "permessage-deflate")]);
        Assert.Equal(Accepted, raw.Headers["Sec-WebSocket-Extensions"]);
        await using var bystander = await ConnectCompressingAsync(Server);
        var bomb = Deflate(Encoding.UTF8.GetBytes("""{"type":"ping","pad":" """ + new string(' ', 1024 * 1024) + "\"}"));
        Assert.True(bomb.Length < Limit, $"the bomb is {bomb.Length} bytes on the wire, under the {Limit}-byte limit");

        await raw.SendFrameAsync(RawOpcode.Text | Rsv1, bomb);

        Assert.Equal(1009, (await NextCloseAsync(raw)).CloseCode);
        await bystander.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task A_decompression_bomb_from_a_compressing_dotnet_client_is_closed_with_1009()
    {
        await using var client = await ConnectCompressingAsync(Server);

        await client.SendTextAsync("""{"type":"broadcast","data":" """ + new string('x', 1024 * 1024) + "\"}");

        var (status, _) = await client.WaitForCloseAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
    }

    /// <summary>The RSV1 bit in a frame's first byte, as an addition to the opcode.</summary>
    private const int Rsv1 = 0x40;

    private static Task<TestClient> ConnectCompressingAsync(RelayServer server) =>
        server.ConnectClientAsync(options =>
        {
            options.DangerousDeflateOptions = new WebSocketDeflateOptions();
            options.CollectHttpResponseDetails = true;
        });

    /// <summary>A hand-written client that offers `permessage-deflate`, joined to <paramref name="room"/>.</summary>
    private static async Task<RawWebSocket> JoinRawAsync(RelayServer server, CreatedRoom room)
    {
        var raw = await RawWebSocket.ConnectAsync(
            server.BaseAddress, extraHeaders: [("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")]);
        Assert.Equal(Accepted, raw.Headers["Sec-WebSocket-Extensions"]);
        await raw.SendTextAsync(JsonSerializer.Serialize(new { type = "connect", roomId = room.Id, secret = room.Secret }));
        Assert.Contains("\"connected\"", TextOf(await raw.ReadFrameAsync()), StringComparison.Ordinal);
        return raw;
    }

    /// <summary>The next `message`, skipping the room's news (joins, host changes).</summary>
    private static async Task<Received> NextMessageAsync(TestClient client)
    {
        while (true)
        {
            var received = await client.ReceiveAsync();
            if (received.IsText && received.Json.GetProperty("type").GetString() == "message")
            {
                return received;
            }
        }
    }

    /// <summary>The next frame that carries a `message`, as it came (compressed or not).</summary>
    private static async Task<RawFrame> NextRawMessageAsync(RawWebSocket raw)
    {
        while (true)
        {
            var frame = await raw.ReadFrameAsync();
            Assert.True(frame is { Opcode: RawOpcode.Text }, $"expected a text frame, got {frame?.ToString() ?? "the end of the connection"}");
            if (TextOf(frame).Contains("\"type\":\"message\"", StringComparison.Ordinal))
            {
                return frame!;
            }
        }
    }

    private static async Task<RawFrame> NextCloseAsync(RawWebSocket raw)
    {
        while (true)
        {
            var frame = await raw.ReadFrameAsync();
            Assert.True(frame is not null, "the connection ended without a close frame");
            if (frame!.Opcode == RawOpcode.Close)
            {
                return frame;
            }
        }
    }

    private static string TextOf(RawFrame? frame) =>
        frame is null ? string.Empty : frame.Rsv1 ? Encoding.UTF8.GetString(Inflate(frame.Payload)) : frame.Text;

    /// <summary>A JSON object of <paramref name="bytes"/> bytes, like a game's state: players with positions.</summary>
    private static string GameState(int bytes)
    {
        var text = new StringBuilder("{\"tick\":4711,\"players\":[");
        var random = new Random(1);
        while (text.Length < bytes - 40)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{{\"id\":{random.Next(1, 9)},\"x\":{random.Next(0, 800)},\"y\":{random.Next(0, 600)},\"hp\":{random.Next(0, 101)}}},");
        }

        text.Length--;
        return text.Append("]}").ToString();
    }

    /// <summary>RFC 7692 7.2.1: raw DEFLATE ended by a sync flush, without its `00 00 FF FF`.</summary>
    private static byte[] Deflate(byte[] payload)
    {
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(payload);
            deflate.Flush();
            var flushed = output.ToArray();
            return flushed[..^4];
        }
    }

    /// <summary>RFC 7692 7.2.2: append `00 00 FF FF` and inflate.</summary>
    private static byte[] Inflate(byte[] payload)
    {
        using var input = new MemoryStream([.. payload, 0x00, 0x00, 0xFF, 0xFF]);
        using var inflate = new DeflateStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        inflate.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>One server with compression on (the default `MinBytes` of 256) and a 4 KiB message limit.</summary>
    public sealed class CompressingServer : IAsyncLifetime
    {
        public RelayServer Server { get; private set; } = null!;

        public async Task InitializeAsync() =>
            Server = await RelayServer.StartAsync(("Relay:Compression:Enabled", "true"), ("Relay:MaxMessageBytes", "4096"));

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }
}
