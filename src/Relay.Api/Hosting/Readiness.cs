using Relay.Application.Rooms;

namespace Relay.Api.Hosting;

/// <summary>
/// Whether this node takes work: not once shutdown has begun, nor while a cluster node cannot reach Redis. Answers
/// `/readyz` and the `relay_ready` gauge alike.
/// </summary>
internal sealed class Readiness(IHostApplicationLifetime lifetime, RoomManager rooms)
{
    /// <summary>Null while ready; otherwise why not (`stopping`, `backplane unavailable`).</summary>
    public string? NotReadyReason =>
        lifetime.ApplicationStopping.IsCancellationRequested ? "stopping"
        : !rooms.IsAvailable ? "backplane unavailable"
        : null;
}
