namespace Relay.Domain.Sessions;

/// <summary>
/// The connection under a <see cref="Session"/>: a WebSocket today, anything that carries frames tomorrow.
/// Implementations never block the caller: <see cref="TrySend"/> only enqueues.
/// </summary>
public interface ISessionTransport
{
    /// <summary>
    /// Queues <paramref name="frame"/> for writing and takes a reference to it when accepted.
    /// Returns false when the connection is closing or its queue overflowed (which closes it).
    /// </summary>
    bool TrySend(OutboundFrame frame);

    /// <summary>Writes what is queued, then closes with <paramref name="code"/>. Idempotent: the first close wins.</summary>
    void Close(ushort code, string reason);

    /// <summary>Called when the session leaves its room, so the transport can restart its connect timer.</summary>
    void OnLeftRoom();
}
