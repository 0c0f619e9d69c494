namespace Relay.Client;

/// <summary>The codes of the server's <c>error</c> messages (<see cref="ErrorMessage.Code"/>).</summary>
public static class RelayErrorCodes
{
    /// <summary>Malformed message, or a field missing, of the wrong type or out of range.</summary>
    public const string BadRequest = Wire.Errors.BadRequest;

    /// <summary>The message's <c>type</c> is not known to the server.</summary>
    public const string UnknownType = Wire.Errors.UnknownType;

    /// <summary>A message that needs a room, sent before joining or after leaving.</summary>
    public const string NotConnected = Wire.Errors.NotConnected;

    /// <summary><c>connect</c> while already in a room.</summary>
    public const string AlreadyConnected = Wire.Errors.AlreadyConnected;

    /// <summary>No room with that id.</summary>
    public const string RoomNotFound = Wire.Errors.RoomNotFound;

    /// <summary>Neither the secret nor the host secret matches.</summary>
    public const string InvalidSecret = Wire.Errors.InvalidSecret;

    /// <summary>The room has <c>maxClients</c> clients.</summary>
    public const string RoomFull = Wire.Errors.RoomFull;

    /// <summary>The room is locked.</summary>
    public const string RoomLocked = Wire.Errors.RoomLocked;

    /// <summary>A host-only message from a client that is not the host.</summary>
    public const string NotHost = Wire.Errors.NotHost;

    /// <summary>The room's protocol does not allow this relay.</summary>
    public const string Forbidden = Wire.Errors.Forbidden;

    /// <summary>A target, kick or transfer id that is not in the room.</summary>
    public const string UnknownClient = Wire.Errors.UnknownClient;

    /// <summary>Over the connection's message rate; the message was dropped.</summary>
    public const string RateLimited = Wire.Errors.RateLimited;

    /// <summary>A cluster node cannot reach its shared state right now; retry later.</summary>
    public const string Unavailable = Wire.Errors.Unavailable;

    /// <summary>A <c>resume</c> that cannot be completed in full (window over, token unknown or used, history gone); nothing of the gap was sent.</summary>
    public const string ResumeFailed = Wire.Errors.ResumeFailed;

    /// <summary>A client token that is malformed, expired, not yet valid, badly signed or for another issuer or audience.</summary>
    public const string InvalidToken = Wire.Errors.InvalidToken;
}

/// <summary>The WebSocket close codes Relay uses.</summary>
public static class RelayCloseCodes
{
    /// <summary>Normal closure (the server's answer when the client closes).</summary>
    public const int Normal = Wire.CloseCodes.Normal;

    /// <summary>Going away: the server is shutting down (after <c>room_closed</c> with <c>shutdown</c>).</summary>
    public const int GoingAway = Wire.CloseCodes.GoingAway;

    /// <summary>The peer broke the WebSocket protocol.</summary>
    public const int ProtocolError = Wire.CloseCodes.ProtocolError;

    /// <summary>A text frame that is not valid UTF-8.</summary>
    public const int InvalidPayload = Wire.CloseCodes.InvalidPayload;

    /// <summary>Policy violation: persistent rate-limit abuse.</summary>
    public const int PolicyViolation = Wire.CloseCodes.PolicyViolation;

    /// <summary>A message larger than the server's maximum.</summary>
    public const int MessageTooBig = Wire.CloseCodes.MessageTooBig;

    /// <summary>The server failed unexpectedly.</summary>
    public const int InternalError = Wire.CloseCodes.InternalError;

    /// <summary>The room was closed (after <c>room_closed</c>).</summary>
    public const int RoomClosed = Wire.CloseCodes.RoomClosed;

    /// <summary>This client was kicked (after <c>kicked</c>).</summary>
    public const int Kicked = Wire.CloseCodes.Kicked;

    /// <summary>No <c>connect</c> within the server's connect timeout.</summary>
    public const int ConnectTimeout = Wire.CloseCodes.ConnectTimeout;

    /// <summary>Slow consumer: the client's send queue on the server overflowed.</summary>
    public const int SlowConsumer = Wire.CloseCodes.SlowConsumer;

    /// <summary>Replaced: another connection resumed this client's seat.</summary>
    public const int Replaced = Wire.CloseCodes.Replaced;
}

/// <summary>The reasons of <see cref="ClientLeftMessage.Reason"/>.</summary>
public static class ClientLeftReasons
{
    /// <summary>The client sent <c>leave</c>.</summary>
    public const string Left = Wire.LeaveReasons.Left;

    /// <summary>The client's connection closed or failed.</summary>
    public const string Disconnected = Wire.LeaveReasons.Disconnected;

    /// <summary>The host or a backend kicked the client.</summary>
    public const string Kicked = Wire.LeaveReasons.Kicked;

    /// <summary>The client did not answer keep-alive pings, or did not come back within the room's resume window.</summary>
    public const string Timeout = Wire.LeaveReasons.Timeout;
}

/// <summary>The reasons of <see cref="RoomClosedMessage.Reason"/>.</summary>
public static class RoomClosedReasons
{
    /// <summary>The host closed the room.</summary>
    public const string ClosedByHost = Wire.RoomClosedReasons.ClosedByHost;

    /// <summary>A backend deleted the room.</summary>
    public const string Deleted = Wire.RoomClosedReasons.Deleted;

    /// <summary>The host of a <c>host</c>-protocol room left.</summary>
    public const string HostLeft = Wire.RoomClosedReasons.HostLeft;

    /// <summary>The room was empty for too long.</summary>
    public const string Expired = Wire.RoomClosedReasons.Expired;

    /// <summary>The server is shutting down.</summary>
    public const string Shutdown = Wire.RoomClosedReasons.Shutdown;
}
