using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Chaos;

/// <summary>
/// A room of a chaos test and the clients it opened. The test says who should be a member (<see cref="Admit"/>,
/// <see cref="Forget"/>); <see cref="ConvergedAsync"/> then checks that every node's REST view and every member's own
/// view agree with that, which is what "views converge" means in these tests.
/// </summary>
internal sealed class ChaosRoom : IAsyncDisposable
{
    private readonly List<ChaosClient> _clients = [];
    private readonly List<ChaosClient> _members = [];

    internal ChaosRoom(CreatedRoom room) => Room = room;

    public CreatedRoom Room { get; }

    public string Id => Room.Id;

    /// <summary>The clients the test takes for members, in join order.</summary>
    public IReadOnlyList<ChaosClient> Members => _members;

    /// <summary>The client ids of <see cref="Members"/>, sorted.</summary>
    public IReadOnlyList<int> ExpectedIds => [.. _members.Select(m => m.ClientId).Order()];

    /// <summary>Creates a room through <paramref name="via"/> (<paramref name="resumeWindowSeconds"/> null: the server default, resume on).</summary>
    public static async Task<ChaosRoom> CreateAsync(NodeProcess via, string protocol = "mesh", int maxClients = 64, int? resumeWindowSeconds = null)
    {
        ArgumentNullException.ThrowIfNull(via);
        via.ThrowIfExited();
        var body = resumeWindowSeconds is { } window
            ? JsonSerializer.Serialize(new { protocol, maxClients, resumeWindowSeconds = window })
            : JsonSerializer.Serialize(new { protocol, maxClients });
        return new ChaosRoom(await via.Api.CreateRoomAsync(body));
    }

    /// <summary>Opens a client on <paramref name="node"/> without joining; disposed with the room.</summary>
    public async Task<ChaosClient> OpenAsync(NodeProcess node, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        var client = await ChaosClient.OpenAsync(node, name ?? $"{node.NodeId}-c{_clients.Count + 1}");
        _clients.Add(client);
        return client;
    }

    /// <summary>
    /// Joins a client through <paramref name="node"/> on a healthy cluster (setup, not under a fault): it must be
    /// `connected`, and seen by every earlier member, within the generous setup bound.
    /// </summary>
    public async Task<ChaosClient> JoinAsync(NodeProcess node, string? name = null, string? secret = null)
    {
        var client = await OpenAsync(node, name);
        var answer = await client.ConnectAsync(Id, secret ?? Room.Secret, Bounds.Setup);
        Assert.True(answer.GetProperty("type").GetString() == "connected", $"{client.Name} could not join room {Id}: {answer.GetRawText()}");
        foreach (var member in _members)
        {
            await member.WaitUntilAsync(() => member.View.Contains(client.ClientId), Bounds.Setup, $"client_joined for {client.ClientId}");
        }

        _members.Add(client);
        return client;
    }

    /// <summary>Takes <paramref name="client"/> (already `connected`) for a member from now on.</summary>
    public void Admit(ChaosClient client) => _members.Add(client);

    /// <summary>Stops taking <paramref name="departed"/> for members (left, kicked, closed, on a dead node).</summary>
    public void Forget(params ChaosClient[] departed)
    {
        foreach (var client in departed)
        {
            _members.Remove(client);
        }
    }

    /// <summary>The client ids GET /v1/api/rooms/{id} lists through <paramref name="node"/>, sorted; null when it answers 404.</summary>
    public async Task<IReadOnlyList<int>?> RestIdsAsync(NodeProcess node)
    {
        ArgumentNullException.ThrowIfNull(node);
        node.ThrowIfExited();
        using var response = await node.Http.GetAsync(new Uri($"/v1/api/rooms/{Id}", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET room {Id} on {node.NodeId}: {(int)response.StatusCode} {body}");
        var room = JsonDocument.Parse(body).RootElement;
        return [.. room.GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("clientId").GetInt32()).Order()];
    }

    /// <summary>The room as GET /v1/api/rooms/{id} shows it through <paramref name="node"/>.</summary>
    public Task<JsonElement> GetAsync(NodeProcess node)
    {
        ArgumentNullException.ThrowIfNull(node);
        node.ThrowIfExited();
        return node.Api.GetJsonAsync($"/v1/api/rooms/{Id}");
    }

    /// <summary>
    /// Polls until every node of <paramref name="nodes"/> lists exactly <see cref="ExpectedIds"/> and every member's
    /// own view is exactly that too; fails with every disagreement after <paramref name="timeout"/>.
    /// </summary>
    public async Task<TimeSpan> ConvergedAsync(IEnumerable<NodeProcess> nodes, TimeSpan timeout)
    {
        var list = nodes.ToList();
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var expected = ExpectedIds;
            var disagreements = new List<string>();
            foreach (var node in list)
            {
                var ids = await RestIdsAsync(node);
                if (ids is null || !ids.SequenceEqual(expected))
                {
                    disagreements.Add($"{node.NodeId} REST lists {Show(ids)}");
                }
            }

            foreach (var member in _members)
            {
                member.Pump();
                if (!member.View.SequenceEqual(expected))
                {
                    disagreements.Add($"{member} sees {Show(member.View)} (told: {member.Recent(5)})");
                }
            }

            if (disagreements.Count == 0)
            {
                return watch.Elapsed;
            }

            if (watch.Elapsed > timeout)
            {
                throw new Xunit.Sdk.XunitException(
                    $"room views did not converge on {Show(expected)} within {timeout.TotalSeconds:F1} s: {string.Join("; ", disagreements)}");
            }

            // Polling other processes' state (not a synchronisation sleep).
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
    }

    public static string Show(IReadOnlyList<int>? ids) => ids is null ? "404 (no room)" : $"[{string.Join(",", ids)}]";
}
