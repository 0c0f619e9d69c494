namespace Relay.Client;

/// <summary>The lifecycle of a <see cref="RelayRealtimeClient"/>.</summary>
public enum RelayConnectionState
{
    /// <summary>Created; <see cref="RelayRealtimeClient.ConnectAsync"/> not called yet.</summary>
    Created,

    /// <summary>Opening the WebSocket and joining the room.</summary>
    Connecting,

    /// <summary>In the room.</summary>
    Connected,

    /// <summary>Left the room with <see cref="RelayRealtimeClient.LeaveAsync"/>; the connection is open and may join again.</summary>
    Left,

    /// <summary>The connection was lost; reconnecting.</summary>
    Reconnecting,

    /// <summary>Closed for good; see <see cref="RelayRealtimeClient.Completion"/>.</summary>
    Closed,
}

/// <summary>Why a <see cref="RelayRealtimeClient"/> closed for good.</summary>
public enum RelayCloseReason
{
    /// <summary>This client closed it (<see cref="RelayRealtimeClient.CloseAsync"/> or dispose).</summary>
    ClosedByClient,

    /// <summary>The client was kicked (close 4001).</summary>
    Kicked,

    /// <summary>The room was closed or deleted (close 4000, or 1001 when the server shut down).</summary>
    RoomClosed,

    /// <summary>The server closed the connection for another reason (see <see cref="RelayClosedEventArgs.CloseStatus"/>).</summary>
    ClosedByServer,

    /// <summary>The connection was lost and reconnection is off.</summary>
    ConnectionLost,

    /// <summary><see cref="RelayRealtimeClient.ConnectAsync"/> failed (see <see cref="RelayClosedEventArgs.Exception"/>).</summary>
    ConnectFailed,

    /// <summary>The connection was lost and reconnection gave up (attempts exhausted, or the room is gone or refuses this client).</summary>
    ReconnectFailed,

    /// <summary>Another connection resumed this client's seat (close 4005); not reconnected.</summary>
    Replaced,
}

/// <summary>The end of a <see cref="RelayRealtimeClient"/>: raised once by <see cref="RelayRealtimeClient.Closed"/>.</summary>
public sealed class RelayClosedEventArgs : EventArgs
{
    /// <summary>Why the client closed.</summary>
    public required RelayCloseReason Reason { get; init; }

    /// <summary>The WebSocket close code of the last connection (e.g. 1000, 4000, 4001); null when it ended without a close handshake.</summary>
    public int? CloseStatus { get; init; }

    /// <summary>The close reason text of the last connection (informative only).</summary>
    public string? CloseDescription { get; init; }

    /// <summary>The <c>kicked</c> message, when the client was kicked.</summary>
    public KickedMessage? Kicked { get; init; }

    /// <summary>The <c>room_closed</c> message, when the room closed.</summary>
    public RoomClosedMessage? RoomClosed { get; init; }

    /// <summary>The failure that ended the connection or the last reconnect attempt, if any.</summary>
    public Exception? Exception { get; init; }
}

/// <summary>A reconnect attempt is about to be made: raised by <see cref="RelayRealtimeClient.Reconnecting"/> before each attempt's delay.</summary>
public sealed class RelayReconnectingEventArgs : EventArgs
{
    /// <summary>The attempt number, from 1.</summary>
    public required int Attempt { get; init; }

    /// <summary>The delay before this attempt.</summary>
    public required TimeSpan Delay { get; init; }

    /// <summary>The client id the client had before the loss.</summary>
    public int? PreviousClientId { get; init; }

    /// <summary>The close code of the lost connection, if it sent one.</summary>
    public int? CloseStatus { get; init; }

    /// <summary>Why the previous attempt failed, or what ended the connection (attempt 1), if known.</summary>
    public Exception? Exception { get; init; }
}

/// <summary>The client is back in the room: raised by <see cref="RelayRealtimeClient.Reconnected"/>.</summary>
public sealed class RelayReconnectedEventArgs : EventArgs
{
    /// <summary>
    /// The reply of the new connection: a <see cref="ResumedMessage"/> when the client got its seat back (same client
    /// id; the events it missed follow), else the <c>connected</c> of a fresh join (a new client id).
    /// </summary>
    public required ConnectedMessage Connected { get; init; }

    /// <summary>Whether the client resumed its seat (<see cref="Connected"/> is a <see cref="ResumedMessage"/>) rather than joining afresh.</summary>
    public bool Resumed => Connected is ResumedMessage;

    /// <summary>The client id the client had before the loss.</summary>
    public int? PreviousClientId { get; init; }

    /// <summary>How many attempts it took.</summary>
    public required int Attempts { get; init; }
}

/// <summary>
/// A reconnect could not resume the client's seat: raised by <see cref="RelayRealtimeClient.ResumeFailed"/> before the
/// client joins the room afresh, with a new client id, on the same connection.
/// </summary>
public sealed class RelayResumeFailedEventArgs : EventArgs
{
    /// <summary>The server's refusal (code <c>resume_failed</c>: window over, token unknown or used, history gone, kicked, room gone).</summary>
    public required ErrorMessage Error { get; init; }

    /// <summary>The client id the seat had.</summary>
    public int? PreviousClientId { get; init; }

    /// <summary>The <see cref="RoomEventMessage.Seq"/> of the last room event the client processed; nothing after it was replayed.</summary>
    public long LastSeq { get; init; }
}

/// <summary>
/// A realtime operation failed: opening the connection, joining a room (with the server's
/// <see cref="ErrorCode"/>, e.g. <c>invalid_secret</c>), waiting for a reply, or sending on a closed connection.
/// Errors the server reports for fire-and-forget messages (broadcast, send, kick...) are not thrown: they arrive
/// as <see cref="ErrorMessage"/>s.
/// </summary>
public sealed class RelayRealtimeException : Exception
{
    /// <summary>Creates an exception.</summary>
    public RelayRealtimeException()
        : this("A Relay realtime operation failed.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public RelayRealtimeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public RelayRealtimeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception from the server's <c>error</c> reply.</summary>
    /// <param name="error">The server's error.</param>
    public RelayRealtimeException(ErrorMessage error)
        : base($"{error?.Code}: {error?.Message}")
    {
        ArgumentNullException.ThrowIfNull(error);
        ErrorCode = error.Code;
        Error = error;
    }

    /// <summary>The server's error code (<see cref="RelayErrorCodes"/>) when the server refused the operation, else null.</summary>
    public string? ErrorCode { get; }

    /// <summary>The server's <c>error</c> message when the server refused the operation, else null.</summary>
    public ErrorMessage? Error { get; }

    /// <summary>The HTTP status of a refused WebSocket upgrade (e.g. 403 origin not allowed, 503 too many connections), else null.</summary>
    public int? HttpStatusCode { get; init; }
}
