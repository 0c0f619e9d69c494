using System.Net;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Cluster;

/// <summary>
/// A room of a cluster with clients connected to chosen nodes. <see cref="JoinAsync"/> waits until every earlier
/// member, whatever its node, has received the newcomer's `client_joined` (and consumes it), so that each test starts
/// from quiet inboxes and from a room every node agrees on.
/// </summary>
internal sealed class ClusterRoom : IAsyncDisposable
{
    private readonly List<TestClient> _clients = [];
    private readonly List<TestClient> _members = [];

    private ClusterRoom(IReadOnlyList<RelayServer> nodes, CreatedRoom room)
    {
        Nodes = nodes;
        Room = room;
    }

    public IReadOnlyList<RelayServer> Nodes { get; }

    public CreatedRoom Room { get; }

    public string Id => Room.Id;

    /// <summary>Every client this room opened, in join order.</summary>
    public IReadOnlyList<TestClient> Clients => _clients;

    /// <summary>Creates the room through node <paramref name="via"/> (<paramref name="resumeWindowSeconds"/> null: the server default).</summary>
    public static async Task<ClusterRoom> CreateAsync(
        IReadOnlyList<RelayServer> nodes, string protocol = "mesh", string hostAssignment = "first", int maxClients = 16, int via = 0, int? resumeWindowSeconds = null)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var body = resumeWindowSeconds is { } window
            ? JsonSerializer.Serialize(new { protocol, hostAssignment, maxClients, resumeWindowSeconds = window })
            : JsonSerializer.Serialize(new { protocol, hostAssignment, maxClients });
        var room = await nodes[via].Api.CreateRoomAsync(body);
        return new ClusterRoom(nodes, room);
    }

    /// <summary>Opens a client on node <paramref name="node"/> without joining; disposed with the room.</summary>
    public async Task<TestClient> OpenAsync(int node)
    {
        var client = await Nodes[node].ConnectClientAsync();
        _clients.Add(client);
        return client;
    }

    /// <summary>
    /// Joins a new client through node <paramref name="node"/> (join secret, or <paramref name="secret"/>); every
    /// earlier member must get its `client_joined`, consumed here. A `host_changed` after it is left in place.
    /// </summary>
    public async Task<(TestClient Client, JsonElement Connected)> JoinWithAsync(int node, string? secret = null, string? name = null)
    {
        var client = await OpenAsync(node);
        var connected = await client.JoinAsync(Room.Id, secret ?? Room.Secret, name ?? $"n{node}-c{_clients.Count}");
        await AnnounceAsync(client);
        return (client, connected);
    }

    public async Task<TestClient> JoinAsync(int node, string? secret = null, string? name = null) =>
        (await JoinWithAsync(node, secret, name)).Client;

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
        foreach (var client in departed)
        {
            _members.Remove(client);
        }
    }

    /// <summary>GET the room through node <paramref name="node"/>: its status code.</summary>
    public async Task<HttpStatusCode> GetStatusAsync(int node)
    {
        using var response = await Nodes[node].Http.GetAsync(new Uri($"/v1/api/rooms/{Id}", UriKind.Relative));
        return response.StatusCode;
    }

    /// <summary>GET the room through node <paramref name="node"/> (must be 200).</summary>
    public Task<JsonElement> GetAsync(int node) => Nodes[node].Api.GetJsonAsync($"/v1/api/rooms/{Id}");

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
    }
}
