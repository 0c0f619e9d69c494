using Relay.IntegrationTests.Infrastructure;
using static Relay.IntegrationTests.Infrastructure.Frames;

namespace Relay.IntegrationTests.Protocol;

/// <summary>Binary frames: `0x00` broadcast, `0x01` + id send, the 4-byte sender prefix, malformed frames and protocol rules.</summary>
public sealed class BinaryFrameTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    /// <summary>A payload of <paramref name="length"/> bytes covering every byte value, zero and 0xFF included.</summary>
    private static byte[] Payload(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(255 - (i % 256)))];

    /// <summary>The next message must be a text `error` with <paramref name="code"/> and no `ref`.</summary>
    private static async Task ExpectErrorWithoutRefAsync(TestClient client, string code)
    {
        var error = await client.ExpectErrorAsync(code);
        Assert.False(error.TryGetProperty("ref", out _), $"an error caused by a binary frame has no ref: {error.GetRawText()}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(300)]
    public async Task Broadcast_reaches_every_other_client_as_sender_id_and_exact_payload(int length)
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);
        var (first, sender, last) = (room[0], room[1], room[2]);
        var payload = Payload(length);

        await sender.SendBinaryAsync(Broadcast(payload));

        Assert.Equal(Relayed(sender.ClientId, payload), await first.ExpectBinaryAsync());
        Assert.Equal(Relayed(sender.ClientId, payload), await last.ExpectBinaryAsync());
        await sender.AssertNothingPendingAsync();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(300)]
    public async Task Send_reaches_only_the_target_as_sender_id_and_exact_payload(int length)
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);
        var (host, sender, target) = (room[0], room[1], room[2]);
        var payload = Payload(length);

        await sender.SendBinaryAsync(SendTo(target.ClientId, payload));

        Assert.Equal(Relayed(sender.ClientId, payload), await target.ExpectBinaryAsync());
        await host.AssertNothingPendingAsync();
        await sender.AssertNothingPendingAsync();
    }

    [Theory]
    [InlineData("", "bad_request")]
    [InlineData("07", "bad_request")]
    [InlineData("07AABB", "bad_request")]
    [InlineData("010002", "bad_request")]
    [InlineData("01", "bad_request")]
    [InlineData("01000003E7", "unknown_client")]
    [InlineData("01000003E7CAFE", "unknown_client")]
    public async Task Malformed_frame_gets_an_error_without_ref_and_relays_nothing(string hex, string code)
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 2);
        var (sender, other) = (room[0], room[1]);

        await sender.SendBinaryAsync(Convert.FromHexString(hex));

        await ExpectErrorWithoutRefAsync(sender, code);
        await other.AssertNothingPendingAsync();
    }

    [Theory]
    [InlineData("")]
    [InlineData("07")]
    [InlineData("010002")]
    [InlineData("01000003E7")]
    public async Task Connection_stays_usable_after_a_malformed_frame(string hex)
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 2);
        var (sender, other) = (room[0], room[1]);
        await sender.SendBinaryAsync(Convert.FromHexString(hex));
        await sender.ExpectAsync("error");

        await sender.SendBinaryAsync(Broadcast([1, 2, 3]));
        await sender.SendJsonAsync(new { type = "broadcast", data = "text" });

        Assert.Equal(Relayed(sender.ClientId, [1, 2, 3]), await other.ExpectBinaryAsync());
        await Expect.MessageAsync(other, sender.ClientId, "\"text\"");
        await sender.AssertNothingPendingAsync();
    }

    [Theory]
    [InlineData("00CAFE")]
    [InlineData("0100000001CAFE")]
    public async Task Binary_before_connect_gets_not_connected(string hex)
    {
        await using var client = await Server.ConnectClientAsync();

        await client.SendBinaryAsync(Convert.FromHexString(hex));

        await ExpectErrorWithoutRefAsync(client, "not_connected");
        await client.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Host_protocol_binary_broadcast_from_a_non_host_reaches_only_the_host()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3, "host");
        var (host, sender, other) = (room[0], room[1], room[2]);

        await sender.SendBinaryAsync(Broadcast([9, 8, 7]));

        Assert.Equal(Relayed(sender.ClientId, [9, 8, 7]), await host.ExpectBinaryAsync());
        await other.AssertNothingPendingAsync();
        await sender.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Host_protocol_binary_broadcast_from_the_host_reaches_all_others()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3, "host");
        var host = room[0];

        await host.SendBinaryAsync(Broadcast([4, 2]));

        Assert.Equal(Relayed(host.ClientId, [4, 2]), await room[1].ExpectBinaryAsync());
        Assert.Equal(Relayed(host.ClientId, [4, 2]), await room[2].ExpectBinaryAsync());
    }

    [Fact]
    public async Task Host_protocol_binary_send_from_a_non_host_to_another_non_host_is_forbidden()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3, "host");
        var (host, sender, target) = (room[0], room[1], room[2]);

        await sender.SendBinaryAsync(SendTo(target.ClientId, [1]));

        await ExpectErrorWithoutRefAsync(sender, "forbidden");
        await target.AssertNothingPendingAsync();
        await host.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Host_protocol_binary_send_from_a_non_host_to_the_host_is_delivered()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3, "host");
        var (host, sender, other) = (room[0], room[1], room[2]);

        await sender.SendBinaryAsync(SendTo(host.ClientId, [0, 0xFF]));

        Assert.Equal(Relayed(sender.ClientId, [0, 0xFF]), await host.ExpectBinaryAsync());
        await other.AssertNothingPendingAsync();
    }
}
