using System.Text;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Conformance;

/// <summary>
/// `Relay:MaxMessageBytes` (default 64 KiB) is enforced on the bytes read, not on what a frame header declares:
/// the server reads at most one byte past the limit and then closes with 1009. Each client here sends exactly
/// that many bytes and then waits, so the close can only come from a server that stopped reading at the limit.
/// </summary>
public sealed class MessageLimitTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private const int Limit = 65536;

    private Uri Server => fixture.Server.BaseAddress;

    [Theory]
    [InlineData(RawOpcode.Text)]
    [InlineData(RawOpcode.Binary)]
    public async Task A_frame_declaring_1_MiB_is_closed_with_1009_once_one_byte_over_the_limit_has_arrived(int opcode)
    {
        await using var socket = await RawWebSocket.ConnectAsync(Server);

        await socket.SendFrameHeaderAsync(opcode, declaredLength: 1024 * 1024);
        await socket.SendRawAsync(Padding(Limit + 1));

        await ExpectCloseAsync(socket, 1009);
    }

    [Fact]
    public async Task A_fragmented_message_is_closed_with_1009_at_its_first_byte_over_the_limit()
    {
        await using var socket = await RawWebSocket.ConnectAsync(Server);

        await socket.SendFrameAsync(RawOpcode.Text, Padding(Limit), fin: false);
        await socket.SendFrameHeaderAsync(RawOpcode.Continuation, declaredLength: 1000, fin: false);
        await socket.SendRawAsync(Padding(1));

        await ExpectCloseAsync(socket, 1009);
    }

    [Fact]
    public async Task A_message_of_exactly_the_limit_ending_in_an_empty_fragment_is_handled()
    {
        await using var socket = await RawWebSocket.ConnectAsync(Server);
        const string Prefix = """{"type":"ping","ref":"at-the-limit","pad":" """;
        var message = Encoding.UTF8.GetBytes(Prefix.TrimEnd() + new string('p', Limit - Prefix.TrimEnd().Length - 2) + "\"}");
        Assert.Equal(Limit, message.Length);

        await socket.SendFrameAsync(RawOpcode.Text, message, fin: false);
        await socket.SendFrameAsync(RawOpcode.Continuation, ReadOnlyMemory<byte>.Empty);

        Assert.Equal("""{"type":"pong","ref":"at-the-limit"}""", await socket.ReadTextAsync());
    }

    private static byte[] Padding(int length) => Enumerable.Repeat((byte)'x', length).ToArray();

    private static async Task ExpectCloseAsync(RawWebSocket socket, int code)
    {
        var frame = await socket.ReadFrameAsync();
        Assert.True(frame is { Opcode: RawOpcode.Close }, $"expected a close frame, got {frame?.ToString() ?? "the end of the connection"}");
        Assert.Equal(code, frame!.CloseCode);
    }
}
