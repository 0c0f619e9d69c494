using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Realtime;

/// <summary>
/// Clients joined to one room in order, with the `client_joined` notices they got from each other already
/// consumed, so that each inbox starts empty.
/// </summary>
internal sealed class Peers : IAsyncDisposable
{
    private readonly List<TestClient> _clients = [];

    private Peers()
    {
    }

    public TestClient this[int index] => _clients[index];

    public int Count => _clients.Count;

    public static async Task<Peers> JoinAsync(RelayServer server, CreatedRoom room, params string[] names)
    {
        var peers = new Peers();
        try
        {
            foreach (var name in names)
            {
                await peers.AddAsync(server, room, name);
            }
        }
        catch
        {
            await peers.DisposeAsync();
            throw;
        }

        return peers;
    }

    /// <summary>Connects and joins one more client; every earlier one must get its `client_joined`.</summary>
    public async Task<TestClient> AddAsync(RelayServer server, CreatedRoom room, string name)
    {
        var client = await server.ConnectClientAsync();
        _clients.Add(client);
        await client.JoinAsync(room.Id, room.Secret, name);
        foreach (var earlier in _clients.Where(c => c != client))
        {
            var joined = await earlier.ExpectAsync("client_joined");
            Assert.Equal(client.ClientId, joined.GetProperty("clientId").GetInt32());
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
    }
}
