using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Relay.LoadGen.Targets;

namespace Relay.LoadGen.Workloads;

/// <summary>Creating rooms and connecting many clients with bounded concurrency.</summary>
internal static class Clients
{
    /// <summary>The receive callback factory of workloads that do not look at relayed messages (W3, W4).</summary>
    public static readonly Func<int, Action<ReadOnlyMemory<byte>, long>> Ignore = _ => static (_, _) => { };

    /// <summary>Enough rooms of <paramref name="perRoom"/> for <paramref name="connections"/> clients.</summary>
    public static Task<string[]> CreateRoomsForAsync(ITarget target, int connections, int perRoom, CancellationToken cancellationToken) =>
        CreateRoomsAsync(target, (connections + perRoom - 1) / perRoom, perRoom, cancellationToken);

    public static async Task<string[]> CreateRoomsAsync(ITarget target, int rooms, int maxClients, CancellationToken cancellationToken)
    {
        var handles = new string[rooms];
        await Parallel.ForAsync(0, rooms, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
            handles[i] = await target.CreateRoomAsync(maxClients, ct));
        return handles;
    }

    /// <summary>
    /// Connects <paramref name="count"/> clients, client i to room <c>rooms[i / perRoom]</c> from source address
    /// <c>sources[i % sources.Count]</c> (through node <c>i mod N</c> of a <see cref="ClusterTarget"/>).
    /// Failed joins leave a null slot and an entry in <paramref name="errors"/>.
    /// </summary>
    public static async Task<IBenchClient?[]> ConnectAsync(
        ITarget target,
        string[] rooms,
        int count,
        int perRoom,
        IReadOnlyList<IPAddress> sources,
        int concurrency,
        Func<int, Action<ReadOnlyMemory<byte>, long>> onMessage,
        ConcurrentQueue<string> errors,
        long[]? joinMicros,
        CancellationToken cancellationToken)
    {
        var clients = new IBenchClient?[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var source = sources.Count == 0 ? null : sources[i % sources.Count];
            var started = Stopwatch.GetTimestamp();
            try
            {
                var node = target is ClusterTarget cluster ? cluster.NodeFor(i) : target;
                clients[i] = await node.ConnectAsync(rooms[i / perRoom], source, onMessage(i), ct);
                if (joinMicros is not null)
                {
                    joinMicros[i] = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                if (errors.Count < 1000)
                {
                    errors.Enqueue($"{ex.GetType().Name}: {ex.Message}");
                }
            }
        });
        return clients;
    }

    public static async Task DisposeAllAsync(IEnumerable<IBenchClient?> clients)
    {
        await Parallel.ForEachAsync(clients.OfType<IBenchClient>(), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (c, _) =>
        {
            try
            {
                await c.DisposeAsync();
            }
            catch (Exception)
            {
                // Best effort: the run is over for this client.
            }
        });
    }
}
