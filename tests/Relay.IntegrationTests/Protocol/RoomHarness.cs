using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Protocol;

/// <summary>
/// A room on a real server, or on chosen nodes of a cluster, with clients seated in it: the one room harness of
/// the suite. Each join waits until every earlier member has received the newcomer's `client_joined` (and
/// consumes it), so that each test starts from quiet inboxes and from a room every node agrees on.
/// </summary>
public sealed class RoomHarness : IAsyncDisposable
{
    private readonly List<TestClient> _clients = [];
    private readonly List<TestClient> _members = [];

    private RoomHarness(IReadOnlyList<RelayServer> nodes, CreatedRoom room)
    {
        Nodes = nodes;
        Room = room;
    }

    /// <summary>The servers clients are placed on: one, or the nodes of a cluster (see <see cref="JoinAsync(int, string?, string?)"/>).</summary>
    public IReadOnlyList<RelayServer> Nodes { get; }

    /// <summary>The first (or only) server; joins that name no node go through it.</summary>
    public RelayServer Server => Nodes[0];

    public CreatedRoom Room { get; }

    public string Id => Room.Id;

    /// <summary>Every client this harness opened, in join order (kicked or departed ones included).</summary>
    public IReadOnlyList<TestClient> Clients => _clients;

    public int Count => _clients.Count;

    public TestClient this[int index] => _clients[index];

    /// <summary>Creates a room with the given rules and seats <paramref name="clients"/> plain clients in it.</summary>
    public static async Task<RoomHarness> CreateAsync(
        RelayServer server, int clients, string protocol = "mesh", string hostAssignment = "first", int? maxClients = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        var body = maxClients is { } max
            ? JsonSerializer.Serialize(new { protocol, hostAssignment, maxClients = max })
            : JsonSerializer.Serialize(new { protocol, hostAssignment });
        var harness = new RoomHarness([server], await server.Api.CreateRoomAsync(body));
        for (var i = 0; i < clients; i++)
        {
            await harness.JoinAsync();
        }

        return harness;
    }

    /// <summary>
    /// Creates an empty room of a cluster through node <paramref name="via"/>; clients join through the node each names.
    /// <paramref name="resumeWindowSeconds"/> null keeps the server's default (resume on).
    /// </summary>
    public static async Task<RoomHarness> CreateAsync(
        IReadOnlyList<RelayServer> nodes, string protocol = "mesh", string hostAssignment = "first", int maxClients = 16, int via = 0, int? resumeWindowSeconds = null)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var body = resumeWindowSeconds is { } window
            ? JsonSerializer.Serialize(new { protocol, hostAssignment, maxClients, resumeWindowSeconds = window })
            : JsonSerializer.Serialize(new { protocol, hostAssignment, maxClients });
        var room = await nodes[via].Api.CreateRoomAsync(body);
        return new RoomHarness(nodes, room);
    }

    /// <summary>Joins clients named <paramref name="names"/>, in order, to an existing <paramref name="room"/>.</summary>
    public static async Task<RoomHarness> JoinAsync(RelayServer server, CreatedRoom room, params string[] names)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(names);
        var harness = new RoomHarness([server], room);
        try
        {
            foreach (var name in names)
            {
                await harness.JoinAsync(name: name);
            }
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }

        return harness;
    }

    /// <summary>Opens a client without joining (through node <paramref name="node"/>, or <see cref="Server"/>); disposed with the harness.</summary>
    public async Task<TestClient> OpenAsync(int? node = null)
    {
        var client = await (node is { } n ? Nodes[n] : Server).ConnectClientAsync();
        _clients.Add(client);
        return client;
    }

    /// <summary>
    /// Opens a client and joins it (with the join secret, or <paramref name="secret"/>); every member seated
    /// before it must receive its `client_joined`, which is consumed here. A `host_changed` is left in place.
    /// </summary>
    public Task<(TestClient Client, JsonElement Connected)> JoinWithAsync(string? secret = null, string? name = null) =>
        JoinThroughAsync(null, secret, name);

    /// <summary>As <see cref="JoinWithAsync(string?, string?)"/>, through node <paramref name="node"/>.</summary>
    public Task<(TestClient Client, JsonElement Connected)> JoinWithAsync(int node, string? secret = null, string? name = null) =>
        JoinThroughAsync(node, secret, name);

    /// <summary>Opens and joins a plain client; see <see cref="JoinWithAsync(string?, string?)"/>.</summary>
    public async Task<TestClient> JoinAsync(string? secret = null, string? name = null) =>
        (await JoinThroughAsync(null, secret, name)).Client;

    /// <summary>Opens and joins a plain client through node <paramref name="node"/>.</summary>
    public async Task<TestClient> JoinAsync(int node, string? secret = null, string? name = null) =>
        (await JoinThroughAsync(node, secret, name)).Client;

    /// <summary>Records <paramref name="client"/> (already joined) as a member after checking every earlier member heard of it.</summary>
    public async Task AnnounceAsync(TestClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        foreach (var member in _members)
        {
            var joined = await member.ExpectAsync("client_joined");
            Assert.Equal(client.ClientId, joined.GetProperty("clientId").GetInt32());
        }

        _members.Add(client);
    }

    /// <summary>Stops expecting `client_joined` at clients that are no longer members (closed, kicked, left).</summary>
    public void Forget(params TestClient[] departed)
    {
        ArgumentNullException.ThrowIfNull(departed);
        foreach (var client in departed)
        {
            _members.Remove(client);
        }
    }

    /// <summary>GET the room (through node <paramref name="node"/>): its status code.</summary>
    public async Task<HttpStatusCode> GetStatusAsync(int? node = null)
    {
        using var response = await Http(node).GetAsync(new Uri($"/v1/api/rooms/{Id}", UriKind.Relative));
        return response.StatusCode;
    }

    /// <summary>GET the room (through node <paramref name="node"/>); must be 200.</summary>
    public Task<JsonElement> GetAsync(int? node = null) => new RelayApi(Http(node)).GetJsonAsync($"/v1/api/rooms/{Id}");

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
    }

    private HttpClient Http(int? node) => (node is { } n ? Nodes[n] : Server).Http;

    private async Task<(TestClient Client, JsonElement Connected)> JoinThroughAsync(int? node, string? secret, string? name)
    {
        var client = await OpenAsync(node);
        var connected = await client.JoinAsync(
            Room.Id,
            secret ?? Room.Secret,
            name ?? (node is { } n ? $"n{n}-c{_clients.Count}" : $"client-{_clients.Count}"));
        await AnnounceAsync(client);
        return (client, connected);
    }
}

/// <summary>Assertions over the server's messages that several test classes share.</summary>
public static class Expect
{
    /// <summary>The `type` of a server message.</summary>
    public static string? TypeOf(JsonElement message) =>
        message.TryGetProperty("type", out var type) ? type.GetString() : null;

    /// <summary>`hostId` as an int, or null when it is JSON null.</summary>
    public static int? HostIdOf(JsonElement message) =>
        message.GetProperty("hostId").ValueKind == JsonValueKind.Null ? null : message.GetProperty("hostId").GetInt32();

    /// <summary>The next message must be `host_changed` naming <paramref name="hostId"/> (null: no host).</summary>
    public static async Task HostChangedAsync(TestClient client, int? hostId)
    {
        ArgumentNullException.ThrowIfNull(client);
        var changed = await client.ExpectAsync("host_changed");
        Assert.Equal(hostId, HostIdOf(changed));
    }

    /// <summary>The next message must be `client_left` for <paramref name="clientId"/> with <paramref name="reason"/>.</summary>
    public static async Task ClientLeftAsync(TestClient client, int clientId, string reason, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        var left = await client.ExpectAsync("client_left", timeout);
        Assert.Equal(clientId, left.GetProperty("clientId").GetInt32());
        Assert.Equal(reason, left.GetProperty("reason").GetString());
    }

    /// <summary>The next message must be a text relay `message` from <paramref name="from"/> with exactly <paramref name="rawData"/>.</summary>
    public static async Task MessageAsync(TestClient client, int from, string rawData)
    {
        ArgumentNullException.ThrowIfNull(client);
        var received = await client.ReceiveAsync();
        Assert.True(received.IsText, $"expected a text message, got {received.Bytes.Length} binary bytes");
        Assert.Equal("{\"type\":\"message\",\"from\":" + from + ",\"data\":" + rawData + "}", received.TextWithoutSeq);
    }

    /// <summary>
    /// Skips any `client_left` (the server may announce a departure first), then expects `room_closed` with
    /// <paramref name="reason"/> and a close with <paramref name="closeCode"/>.
    /// </summary>
    public static async Task RoomClosedAsync(TestClient client, string reason, WebSocketCloseStatus closeCode, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        var message = await client.ReceiveJsonAsync(timeout);
        while (TypeOf(message) == "client_left")
        {
            message = await client.ReceiveJsonAsync(timeout);
        }

        Assert.True(TypeOf(message) == "room_closed", $"expected room_closed, got {message.GetRawText()}");
        Assert.Equal(reason, message.GetProperty("reason").GetString());
        var (status, description) = await client.WaitForCloseAsync(timeout);
        Assert.True(status == closeCode, $"expected close {(int)closeCode}, got {(int?)status} {description}");
    }

    /// <summary>Expects `kicked` (with <paramref name="reason"/>, or any non-empty reason when null) and then close 4001.</summary>
    public static async Task KickedAsync(TestClient client, string? reason)
    {
        ArgumentNullException.ThrowIfNull(client);
        var kicked = await client.ExpectAsync("kicked");
        var actual = kicked.GetProperty("reason").GetString();
        if (reason is null)
        {
            Assert.False(string.IsNullOrWhiteSpace(actual), "kicked needs a default reason");
        }
        else
        {
            Assert.Equal(reason, actual);
        }

        var (status, description) = await client.WaitForCloseAsync();
        Assert.True((int?)status == 4001, $"expected close 4001, got {(int?)status} {description}");
    }

    /// <summary>Expects a close with <paramref name="code"/>, ignoring messages that come before it.</summary>
    public static async Task ClosedWithAsync(TestClient client, int code, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        var (status, description) = await client.WaitForCloseAsync(timeout);
        Assert.True((int?)status == code, $"expected close {code}, got {(int?)status} {description}");
    }
}
