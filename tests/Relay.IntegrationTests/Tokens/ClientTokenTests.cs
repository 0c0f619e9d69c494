using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Relay.Client;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Tokens;

/// <summary>Client tokens on `connect` (contract 1.1, "Client tokens"), minted by the .NET client's helper or by hand.</summary>
public sealed class ClientTokenTests : IAsyncLifetime
{
    private const string Key = "the-current-signing-key-0123456789abcdef";
    private const string OldKey = "the-previous-signing-key-0123456789abcdef";
    private const string Issuer = "https://backend.example";
    private const string Audience = "relay";

    private RelayServer _server = null!;

    public async Task InitializeAsync() => _server = await RelayServer.StartAsync(
        ("Relay:Tokens:SigningKeys:0", Key),
        ("Relay:Tokens:SigningKeys:1", OldKey),
        ("Relay:Tokens:Issuer", Issuer),
        ("Relay:Tokens:Audience", Audience));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_valid_token_joins_its_room_under_its_name_with_its_user_id_shown_everywhere()
    {
        var room = await _server.Api.CreateRoomAsync();
        await using var first = await _server.ConnectClientAsync();
        await first.JoinAsync(room.Id, room.Secret, "first");
        await using var client = await _server.ConnectClientAsync();

        var connected = await ConnectAsync(client, Mint(room.Id, userId: "user-7", name: "Seven"), name: "not-this", expect: "connected", reference: "t1");

        Assert.Equal(room.Id, connected.GetProperty("roomId").GetString());
        Assert.Equal("t1", connected.GetProperty("ref").GetString());
        Assert.False(connected.GetProperty("isHost").GetBoolean());
        var self = connected.GetProperty("clients").EnumerateArray().Single(c => c.GetProperty("clientId").GetInt32() == 2);
        Assert.Equal("Seven", self.GetProperty("name").GetString());
        Assert.Equal("user-7", self.GetProperty("userId").GetString());
        var joined = await first.ExpectAsync("client_joined");
        Assert.Equal("Seven", joined.GetProperty("name").GetString());
        Assert.Equal("user-7", joined.GetProperty("userId").GetString());
        var read = await _server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}");
        var listed = read.GetProperty("clients").EnumerateArray().Single(c => c.GetProperty("clientId").GetInt32() == 2);
        Assert.Equal("user-7", listed.GetProperty("userId").GetString());
        Assert.False(read.GetProperty("clients").EnumerateArray().Single(c => c.GetProperty("clientId").GetInt32() == 1).TryGetProperty("userId", out _));
    }

    [Fact]
    public async Task Without_a_name_claim_the_message_s_name_is_used_and_roomId_and_secret_are_ignored()
    {
        var room = await _server.Api.CreateRoomAsync();
        await using var client = await _server.ConnectClientAsync();
        await client.SendJsonAsync(new { type = "connect", token = Mint(room.Id), name = "from-message", roomId = "elsewhere", secret = "wrong" });
        var connected = await client.ExpectAsync("connected");

        Assert.Equal(room.Id, connected.GetProperty("roomId").GetString());
        Assert.Equal("from-message", connected.GetProperty("clients")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task The_host_claim_joins_as_host_even_where_only_the_host_secret_makes_a_host()
    {
        var room = await _server.Api.CreateRoomAsync("""{"hostAssignment":"secret"}""");
        await using var member = await _server.ConnectClientAsync();
        var plain = await ConnectAsync(member, Mint(room.Id, userId: "u1"), expect: "connected");
        Assert.False(plain.GetProperty("isHost").GetBoolean());
        Assert.True(plain.GetProperty("hostId").ValueKind == JsonValueKind.Null);

        await using var host = await _server.ConnectClientAsync();
        var connected = await ConnectAsync(host, Mint(room.Id, userId: "u2", host: true), expect: "connected");

        Assert.True(connected.GetProperty("isHost").GetBoolean());
        Assert.Equal(2, connected.GetProperty("hostId").GetInt32());
    }

    [Fact]
    public async Task A_token_signed_with_the_previous_key_is_still_accepted_during_rotation()
    {
        var room = await _server.Api.CreateRoomAsync();
        await using var client = await _server.ConnectClientAsync();

        await ConnectAsync(client, RelayTokens.Create(OldKey, room.Id, issuer: Issuer, audience: Audience), expect: "connected");
    }

    [Fact]
    public async Task A_token_that_expired_less_than_the_clock_skew_ago_is_accepted()
    {
        var room = await _server.Api.CreateRoomAsync();
        await using var client = await _server.ConnectClientAsync();

        await ConnectAsync(client, Handmade(room.Id, exp: DateTime.UtcNow.AddSeconds(-10), nbf: DateTime.UtcNow.AddMinutes(-5)), expect: "connected");
    }

    public static TheoryData<string, string> Refused => new()
    {
        { "expired", "expired" },
        { "not yet valid", "not valid yet" },
        { "wrong key", "signature" },
        { "alg none", "signature" },
        { "HS512", "HS256" },
        { "malformed", "malformed" },
        { "garbage base64", "malformed" },
        { "wrong issuer", "issuer" },
        { "wrong audience", "audience" },
        { "no exp", "exp" },
        { "no room", "room" },
        { "room not a string", "room" },
        { "host not a boolean", "host" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_bad_token_is_refused_with_invalid_token_and_the_connection_stays_usable(string kind, string reason)
    {
        var room = await _server.Api.CreateRoomAsync();
        var now = DateTime.UtcNow;
        var token = kind switch
        {
            "expired" => Handmade(room.Id, exp: now.AddMinutes(-2), nbf: now.AddMinutes(-10)),
            "not yet valid" => Handmade(room.Id, exp: now.AddMinutes(10), nbf: now.AddMinutes(2)),
            "wrong key" => RelayTokens.Create("some-other-key-that-nobody-configured-0123", room.Id, issuer: Issuer, audience: Audience),
            "alg none" => Unsigned(room.Id),
            "HS512" => Handmade(room.Id, algorithm: SecurityAlgorithms.HmacSha512, key: Key + Key),
            "malformed" => "not.a.jwt",
            "garbage base64" => "eyJ%%%.eyJ@@@.sig",
            "wrong issuer" => RelayTokens.Create(Key, room.Id, issuer: "https://evil.example", audience: Audience),
            "wrong audience" => RelayTokens.Create(Key, room.Id, issuer: Issuer, audience: "someone-else"),
            "no exp" => Handmade(room.Id, withExp: false),
            "no room" => Handmade(null),
            "room not a string" => Handmade(null, extra: new Dictionary<string, object> { ["room"] = 42 }),
            "host not a boolean" => Handmade(room.Id, extra: new Dictionary<string, object> { ["host"] = "yes" }),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        await using var client = await _server.ConnectClientAsync();

        var error = await ConnectAsync(client, token, expect: "error", reference: 5);

        Assert.Equal("invalid_token", error.GetProperty("code").GetString());
        Assert.Equal(5, error.GetProperty("ref").GetInt32());
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains(reason, message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(token, message, StringComparison.Ordinal);
        await client.JoinAsync(room.Id, room.Secret, "after");
    }

    [Fact]
    public async Task A_valid_token_for_an_unknown_room_is_room_not_found()
    {
        await using var client = await _server.ConnectClientAsync();

        var error = await ConnectAsync(client, Mint("no-such-room"), expect: "error");

        Assert.Equal("room_not_found", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_server_without_signing_keys_refuses_every_token()
    {
        await using var server = await RelayServer.StartAsync();
        var room = await server.Api.CreateRoomAsync();
        await using var client = await server.ConnectClientAsync();

        var error = await ConnectAsync(client, RelayTokens.Create(Key, room.Id), expect: "error");

        Assert.Equal("invalid_token", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task The_NET_client_joins_with_a_token_instead_of_a_secret()
    {
        var room = await _server.Api.CreateRoomAsync();
        await using var client = new RelayRealtimeClient(new RelayRealtimeOptions
        {
            ServerUri = _server.BaseAddress,
            Token = RelayTokens.Create(Key, room.Id, userId: "dotnet-user", name: "Dot", issuer: Issuer, audience: Audience),
        });

        var connected = await client.ConnectAsync();

        Assert.Equal(room.Id, connected.RoomId);
        Assert.Equal(room.Id, client.RoomId);
    }

    private static string Mint(string roomId, string? userId = null, string? name = null, bool host = false) =>
        RelayTokens.Create(Key, roomId, userId, name, host, issuer: Issuer, audience: Audience);

    private static string Handmade(
        string? roomId,
        bool withExp = true,
        DateTime? exp = null,
        DateTime? nbf = null,
        string algorithm = SecurityAlgorithms.HmacSha256,
        string key = Key,
        Dictionary<string, object>? extra = null)
    {
        var claims = new Dictionary<string, object>(extra ?? []);
        if (roomId is not null)
        {
            claims["room"] = roomId;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Claims = claims,
            Issuer = Issuer,
            Audience = Audience,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), algorithm),
        };
        if (withExp)
        {
            var expires = exp ?? DateTime.UtcNow.AddMinutes(5);
            descriptor.Expires = expires;
            descriptor.NotBefore = nbf ?? expires.AddMinutes(-10);
            descriptor.IssuedAt = descriptor.NotBefore;
        }

        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    private static string Unsigned(string roomId)
    {
        static string Part(object value) => Base64UrlEncoder.Encode(JsonSerializer.Serialize(value));
        var exp = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds();
        return $"{Part(new { alg = "none", typ = "JWT" })}.{Part(new { room = roomId, exp, iss = Issuer, aud = Audience })}.";
    }

    private static async Task<JsonElement> ConnectAsync(TestClient client, string token, string expect, string? name = null, object? reference = null)
    {
        await client.SendJsonAsync(new Dictionary<string, object?>
        {
            ["type"] = "connect",
            ["token"] = token,
            ["name"] = name,
            ["ref"] = reference,
        }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value));
        return await client.ExpectAsync(expect);
    }
}
