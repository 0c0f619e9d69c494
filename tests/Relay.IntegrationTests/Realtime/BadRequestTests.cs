using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Realtime;

/// <summary>Malformed client messages get `bad_request` or `unknown_type`, and the connection stays usable.</summary>
public sealed class BadRequestTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private static readonly string LongName = new('n', 65);
    private static readonly string LongRef = new('r', 65);
    private static readonly string TooManyRecipients = $"[{string.Join(',', Enumerable.Range(1, 65))}]";

    private RelayServer Server => fixture.Server;

    public static TheoryData<string> MalformedBeforeConnect => new()
    {
        "not json",
        """{"type":"ping" """,
        """{"type":"ping"} trailing""",
        "[1,2]",
        """["ping"]""",
        "\"ping\"",
        "42",
        "null",
        "{}",
        """{"ref":"x"}""",
        """{"type":5}""",
        """{"type":null}""",
        """{"type":["ping"]}""",
        """{"type":"connect","secret":"some-secret"}""",
        """{"type":"connect","roomId":"","secret":"some-secret"}""",
        """{"type":"connect","roomId":7,"secret":"some-secret"}""",
        """{"type":"connect","roomId":"some-room"}""",
        """{"type":"connect","roomId":"some-room","secret":42}""",
        $$"""{"type":"connect","roomId":"some-room","secret":"some-secret","name":"{{LongName}}"}""",
        """{"type":"connect","roomId":"some-room","secret":"some-secret","name":7}""",
        $$"""{"type":"ping","ref":"{{LongRef}}"}""",
        """{"type":"ping","ref":1.5}""",
        """{"type":"ping","ref":true}""",
        """{"type":"ping","ref":{"id":1}}""",
    };

    [Theory]
    [MemberData(nameof(MalformedBeforeConnect))]
    public async Task Malformed_message_before_connect_fails_with_bad_request_and_the_connection_stays_usable(string message)
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var client = await Server.ConnectClientAsync();

        await client.SendTextAsync(message);

        await client.ExpectErrorAsync("bad_request");
        await client.AssertNothingPendingAsync();
        await client.JoinAsync(room.Id, room.Secret, "after");
    }

    public static TheoryData<string> MalformedWhileConnected => new()
    {
        """{"type":"broadcast"}""",
        """{"type":"send","to":[1]}""",
        """{"type":"send","data":1}""",
        """{"type":"send","to":[],"data":1}""",
        $$"""{"type":"send","to":{{TooManyRecipients}},"data":1}""",
        """{"type":"send","to":1,"data":1}""",
        """{"type":"send","to":"1","data":1}""",
        """{"type":"send","to":{"id":1},"data":1}""",
        """{"type":"send","to":["1"],"data":1}""",
        """{"type":"send","to":[1.5],"data":1}""",
        $$"""{"type":"broadcast","data":1,"ref":"{{LongRef}}"}""",
        """{"type":"broadcast","data":1,"ref":2.5}""",
    };

    [Theory]
    [MemberData(nameof(MalformedWhileConnected))]
    public async Task Malformed_message_in_a_room_fails_with_bad_request_relays_nothing_and_the_connection_stays_usable(string message)
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");

        await peers[1].SendTextAsync(message);

        await peers[1].ExpectErrorAsync("bad_request");
        await peers[1].AssertNothingPendingAsync();
        await peers[0].AssertNothingPendingAsync();
        await peers[1].SendTextAsync("""{"type":"broadcast","data":"ok"}""");
        Assert.Equal("ok", (await peers[0].ExpectAsync("message")).GetProperty("data").GetString());
    }

    [Theory]
    [InlineData("""{"type":"dance"}""")]
    [InlineData("""{"type":"Broadcast","data":1}""")]
    [InlineData("""{"type":""}""")]
    [InlineData("""{"type":"message","from":1,"data":1}""")]
    public async Task Unknown_type_fails_with_unknown_type_and_the_connection_stays_usable(string message)
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");

        await peers[1].SendTextAsync(message);

        await peers[1].ExpectErrorAsync("unknown_type");
        await peers[0].AssertNothingPendingAsync();
        await peers[1].AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Unknown_type_before_connect_fails_with_unknown_type()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var client = await Server.ConnectClientAsync();

        await client.SendTextAsync("""{"type":"dance","ref":"u"}""");

        var error = await client.ExpectErrorAsync("unknown_type");
        Assert.Equal("u", error.GetProperty("ref").GetString());
        await client.JoinAsync(room.Id, room.Secret, "after");
    }

    [Fact]
    public async Task Error_echoes_a_string_ref()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice");

        await peers[0].SendTextAsync("""{"type":"send","to":[],"data":1,"ref":"req-7"}""");

        var error = await peers[0].ExpectErrorAsync("bad_request");
        Assert.Equal("req-7", error.GetProperty("ref").GetString());
    }

    [Fact]
    public async Task Error_echoes_an_integer_ref()
    {
        await using var client = await Server.ConnectClientAsync();

        await client.SendTextAsync("""{"type":"dance","ref":99}""");

        var error = await client.ExpectErrorAsync("unknown_type");
        Assert.Equal(JsonValueKind.Number, error.GetProperty("ref").ValueKind);
        Assert.Equal(99, error.GetProperty("ref").GetInt32());
    }

    [Fact]
    public async Task Error_echoes_a_ref_sent_before_the_type()
    {
        await using var client = await Server.ConnectClientAsync();

        await client.SendTextAsync("""{"ref":"first","type":"connect","secret":"some-secret"}""");

        var error = await client.ExpectErrorAsync("bad_request");
        Assert.Equal("first", error.GetProperty("ref").GetString());
    }

    [Fact]
    public async Task Error_caused_by_an_invalid_ref_carries_no_ref()
    {
        await using var client = await Server.ConnectClientAsync();

        await client.SendTextAsync($$"""{"type":"ping","ref":"{{LongRef}}"}""");

        var error = await client.ExpectErrorAsync("bad_request");
        Assert.False(error.TryGetProperty("ref", out _), error.GetRawText());
    }

    [Fact]
    public async Task A_ref_of_exactly_64_characters_is_accepted()
    {
        var reference = new string('r', 64);
        await using var client = await Server.ConnectClientAsync();

        await client.SendJsonAsync(new { type = "ping", @ref = reference });

        var pong = await client.ExpectAsync("pong");
        Assert.Equal(reference, pong.GetProperty("ref").GetString());
    }

    [Fact]
    public async Task A_name_of_exactly_64_characters_is_accepted()
    {
        var room = await Server.Api.CreateRoomAsync();
        var name = new string('n', 64);
        await using var client = await Server.ConnectClientAsync();

        var connected = await client.JoinAsync(room.Id, room.Secret, name);

        Assert.Equal(name, connected.GetProperty("clients")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_send_to_64_clients_passes_validation()
    {
        var room = await Server.Api.CreateRoomAsync();
        await using var peers = await RoomHarness.JoinAsync(Server, room, "alice", "bob");
        var to = string.Join(',', Enumerable.Repeat(peers[1].ClientId, 64));

        await peers[0].SendTextAsync($$"""{"type":"send","to":[{{to}}],"data":"64"}""");

        Assert.Equal("64", (await peers[1].ExpectAsync("message")).GetProperty("data").GetString());
        await peers[1].AssertNothingPendingAsync();
    }
}
