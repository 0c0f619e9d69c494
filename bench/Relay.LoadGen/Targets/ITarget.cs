using System.Net;

namespace Relay.LoadGen.Targets;

/// <summary>
/// A relay server under test (Relay itself, the SignalR baseline or the Node `ws` baseline), seen the same
/// way by every workload: rooms to create and clients that join one room and broadcast within it.
/// </summary>
public interface ITarget : IAsyncDisposable
{
    /// <summary>Short name for tables and files: `relay`, `signalr`, `node-ws`.</summary>
    string Name { get; }

    /// <summary>Creates a room for up to <paramref name="maxClients"/> clients; returns an opaque handle for <see cref="ConnectAsync"/>.</summary>
    Task<string> CreateRoomAsync(int maxClients, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a connection (from <paramref name="localAddress"/> when given, for workloads that need more than
    /// one source address), joins <paramref name="room"/>, and returns once joined. <paramref name="onMessage"/>
    /// is called on the client's receive loop with each relayed payload (without any framing added by the
    /// server) and the <see cref="System.Diagnostics.Stopwatch"/> timestamp at which it arrived.
    /// </summary>
    Task<IBenchClient> ConnectAsync(string room, IPAddress? localAddress, Action<ReadOnlyMemory<byte>, long> onMessage, CancellationToken cancellationToken);
}

/// <summary>One joined client.</summary>
public interface IBenchClient : IAsyncDisposable
{
    /// <summary>Broadcasts <paramref name="payload"/> to the other clients of the room (binary or JSON text, as the target supports).</summary>
    ValueTask BroadcastAsync(ReadOnlyMemory<byte> payload, bool binary, CancellationToken cancellationToken);

    /// <summary>Errors seen on this connection (error frames, unexpected closes).</summary>
    int Errors { get; }
}
