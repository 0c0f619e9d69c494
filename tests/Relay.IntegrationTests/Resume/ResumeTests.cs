using System.Net.WebSockets;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Resume;

/// <summary>
/// Resume after a dropped connection (contract 1.1): the client keeps its seat, id and host role for the room's
/// window and gets every room event it would have received, exactly once and in order, or `resume_failed` and nothing.
/// In the cluster pass every reconnect goes to another node.
/// </summary>
public sealed class ResumeTests : IClassFixture<DefaultServerFixture>
{
    private readonly RelayServer _server;

    public ResumeTests(DefaultServerFixture fixture)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        _server = fixture.Server;
    }

    private async Task<(CreatedRoom Room, ResumeClient Resumable, TestClient Other)> RoomWithTwoAsync(string json = "{}")
    {
        var room = await _server.Api.CreateRoomAsync(json);
        var (resumable, _) = await ResumeClient.JoinAsync(_server, room.Id, room.Secret, "r");
        var other = await _server.ConnectClientAsync();
        await other.JoinAsync(room.Id, room.Secret, "o");
        await resumable.ExpectEventAsync("client_joined");
        return (room, resumable, other);
    }

    [Fact]
    public async Task A_dropped_client_comes_back_with_its_id_and_every_event_it_missed_in_order()
    {
        var (room, resumable, other) = await RoomWithTwoAsync();
        await using var _ = resumable;
        await using var __ = other;

        resumable.Drop();
        var away = await other.ExpectAsync("client_away");
        Assert.Equal(resumable.ClientId, away.GetProperty("clientId").GetInt32());
        Assert.True(away.GetProperty("seq").GetInt64() > resumable.Seq);
        for (var i = 0; i < 3; i++)
        {
            await other.SendJsonAsync(new { type = "broadcast", data = i });
        }

        await other.AssertNothingPendingAsync();
        var resumed = await resumable.ResumeAsync();
        Assert.Equal(3, resumed.GetProperty("missed").GetInt32());
        Assert.True(resumed.GetProperty("isHost").GetBoolean());
        Assert.Equal(room.Id, resumed.GetProperty("roomId").GetString());
        for (var i = 0; i < 3; i++)
        {
            var message = await resumable.ExpectEventAsync("message");
            Assert.Equal(i, message.GetProperty("data").GetInt32());
            Assert.Equal(other.ClientId, message.GetProperty("from").GetInt32());
        }

        var back = await other.ExpectAsync("client_back");
        Assert.Equal(resumable.ClientId, back.GetProperty("clientId").GetInt32());

        // Live again, both ways.
        await other.SendJsonAsync(new { type = "broadcast", data = "live" });
        Assert.Equal("live", (await resumable.ExpectEventAsync("message")).GetProperty("data").GetString());
        await resumable.Connection.SendJsonAsync(new { type = "broadcast", data = "me" });
        await Expect.MessageAsync(other, resumable.ClientId, "\"me\"");
        await resumable.Connection.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task An_away_client_is_listed_as_away_and_keeps_its_seat()
    {
        var (room, resumable, other) = await RoomWithTwoAsync("""{"maxClients":2}""");
        await using var _ = resumable;
        await using var __ = other;

        resumable.Drop();
        await other.ExpectAsync("client_away");
        var read = await _server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}");
        var entry = read.GetProperty("clients").EnumerateArray().Single(c => c.GetProperty("clientId").GetInt32() == resumable.ClientId);
        Assert.True(entry.GetProperty("away").GetBoolean());
        Assert.Equal(2, read.GetProperty("clientCount").GetInt32());

        await using var late = await _server.ConnectClientAsync();
        await late.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Secret });
        await late.ExpectErrorAsync("room_full");
    }

    [Fact]
    public async Task A_resume_token_works_once()
    {
        var (_, resumable, other) = await RoomWithTwoAsync();
        await using var _ = resumable;
        await using var __ = other;
        var first = resumable.Token;

        resumable.Drop();
        await other.ExpectAsync("client_away");
        await resumable.ResumeAsync();
        await other.ExpectAsync("client_back");

        await using var reuse = await resumable.SendResumeAsync(token: first, reference: "again");
        var failed = await reuse.ExpectErrorAsync("resume_failed");
        Assert.Equal("again", failed.GetProperty("ref").GetString());
        await reuse.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Resuming_while_the_old_connection_is_open_replaces_it_with_4005_and_tells_nobody()
    {
        var (_, resumable, other) = await RoomWithTwoAsync();
        await using var _ = resumable;
        await using var __ = other;
        await using var old = resumable.Connection;

        await resumable.ResumeAsync(keepOld: true);
        var (status, _) = await old.WaitForCloseAsync();
        Assert.Equal((WebSocketCloseStatus)4005, status);
        await other.AssertNothingPendingAsync();
        await other.SendJsonAsync(new { type = "broadcast", data = "hi" });
        Assert.Equal("hi", (await resumable.ExpectEventAsync("message")).GetProperty("data").GetString());
    }

    [Fact]
    public async Task A_seq_above_the_rooms_latest_fails_and_changes_nothing()
    {
        var (_, resumable, other) = await RoomWithTwoAsync();
        await using var _ = resumable;
        await using var __ = other;

        resumable.Drop();
        await other.ExpectAsync("client_away");
        await using var ahead = await resumable.SendResumeAsync(seq: resumable.Seq + 1000);
        await ahead.ExpectErrorAsync("resume_failed");
        await other.AssertNothingPendingAsync();
        await resumable.ResumeAsync();
        await other.ExpectAsync("client_back");
    }

    [Fact]
    public async Task A_client_that_joined_without_resume_leaves_for_good_when_it_drops()
    {
        var room = await _server.Api.CreateRoomAsync();
        await using var a = await _server.ConnectClientAsync();
        await using var b = await _server.ConnectClientAsync();
        await a.JoinAsync(room.Id, room.Secret);
        var connected = await b.JoinAsync(room.Id, room.Secret);
        Assert.False(connected.TryGetProperty("resumeToken", out _));
        await a.ExpectAsync("client_joined");

        b.Abort();
        await Expect.ClientLeftAsync(a, b.ClientId, "disconnected");
    }

    [Fact]
    public async Task A_normal_close_ends_a_resumable_client_for_good()
    {
        var (_, resumable, other) = await RoomWithTwoAsync();
        await using var _ = resumable;
        await using var __ = other;

        await resumable.Connection.CloseAsync();
        await Expect.ClientLeftAsync(other, resumable.ClientId, "disconnected");
        await using var late = await resumable.SendResumeAsync();
        await late.ExpectErrorAsync("resume_failed");
    }

    [Fact]
    public async Task A_resumable_client_gets_binary_relays_with_the_seq_header()
    {
        var (_, resumable, other) = await RoomWithTwoAsync();
        await using var _ = resumable;
        await using var __ = other;

        await other.SendBinaryAsync([0x00, 0xAB, 0xCD]);
        var received = await resumable.Connection.ExpectBinaryAsync();
        Assert.Equal(14, received.Length);
        Assert.Equal(other.ClientId, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(received));
        Assert.True(System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(received.AsSpan(4)) > resumable.Seq);
        Assert.Equal(new byte[] { 0xAB, 0xCD }, received[12..]);

        // A version 1 client keeps the 4-byte header.
        await resumable.Connection.SendBinaryAsync([0x00, 0x01]);
        var v1 = await other.ExpectBinaryAsync();
        Assert.Equal(new byte[] { 0, 0, 0, (byte)resumable.ClientId, 0x01 }, v1);
    }

    [Fact]
    public async Task When_the_window_ends_the_away_host_leaves_with_timeout_and_the_host_passes_on()
    {
        var (_, resumable, other) = await RoomWithTwoAsync("""{"resumeWindowSeconds":1}""");
        await using var _ = resumable;
        await using var __ = other;

        resumable.Drop();
        await other.ExpectAsync("client_away");
        await Expect.ClientLeftAsync(other, resumable.ClientId, "timeout", TimeSpan.FromSeconds(15));
        var host = await other.ExpectAsync("host_changed");
        Assert.Equal(other.ClientId, host.GetProperty("hostId").GetInt32());
        await using var late = await resumable.SendResumeAsync();
        await late.ExpectErrorAsync("resume_failed");
    }

    [Fact]
    public async Task A_room_with_resume_off_shows_version_1_exactly()
    {
        var room = await _server.Api.CreateRoomAsync("""{"resumeWindowSeconds":0}""");
        await using var a = await _server.ConnectClientAsync();
        await a.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Secret, resume = true });
        var connected = await a.ExpectAsync("connected");
        Assert.False(connected.TryGetProperty("resumeToken", out _));
        await using var b = await _server.ConnectClientAsync();
        await b.JoinAsync(room.Id, room.Secret);
        var joined = await a.ExpectAsync("client_joined");
        Assert.False(joined.TryGetProperty("seq", out _));
        await b.SendJsonAsync(new { type = "broadcast", data = 1 });
        var message = await a.ReceiveAsync();
        Assert.Equal("{\"type\":\"message\",\"from\":" + b.ClientId + ",\"data\":1}", message.Text);
    }
}
