namespace Relay.Client;

/// <summary>Which ends of a connection call for a reconnect, and which failed attempts for another one.</summary>
internal static class ReconnectPolicy
{
    /// <summary>Close codes of an abnormal loss: going away without a room close, abnormal closure, server errors and restarts, slow consumer.</summary>
    private static readonly int[] ReconnectableCloseCodes = [RelayCloseCodes.GoingAway, 1006, RelayCloseCodes.InternalError, 1012, 1013, 1014, RelayCloseCodes.SlowConsumer];

    /// <summary>Null when the loss calls for a reconnect; otherwise why the client closes for good.</summary>
    public static RelayCloseReason? Classify(SocketEnd end, ConnectionLifecycle lifecycle, RelayReconnectOptions options)
    {
        if (lifecycle.CloseRequested)
        {
            return RelayCloseReason.ClosedByClient;
        }

        if (lifecycle.Kicked is not null || end.CloseStatus == RelayCloseCodes.Kicked)
        {
            return RelayCloseReason.Kicked;
        }

        if (lifecycle.RoomClosed is not null || end.CloseStatus == RelayCloseCodes.RoomClosed)
        {
            return RelayCloseReason.RoomClosed;
        }

        if (end.CloseStatus == RelayCloseCodes.Replaced)
        {
            return RelayCloseReason.Replaced;
        }

        if (end.CloseStatus is { } code && !ReconnectableCloseCodes.Contains(code))
        {
            return RelayCloseReason.ClosedByServer;
        }

        if (!options.Enabled || lifecycle.State == RelayConnectionState.Left)
        {
            return RelayCloseReason.ConnectionLost;
        }

        return null;
    }

    /// <summary>Whether a failed attempt is worth another one (a refusal that may pass, a network failure, a timeout, a 5xx).</summary>
    public static bool IsRetryable(RelayRealtimeException ex) => ex switch
    {
        { ErrorCode: { } code } => IsTransient(code),
        { HttpStatusCode: 400 or 401 or 403 or 404 } => false,
        _ => true,
    };

    /// <summary>Whether the server's refusal <paramref name="code"/> may pass by itself (a full or locked room, the rate limit, a node without its store).</summary>
    public static bool IsTransient(string code) =>
        code is RelayErrorCodes.RoomFull or RelayErrorCodes.RoomLocked or RelayErrorCodes.RateLimited or RelayErrorCodes.Unavailable;
}
