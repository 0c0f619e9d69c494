namespace Relay.Client;

/// <summary>The codes of the server's <c>error</c> messages (<see cref="ErrorMessage.Code"/>).</summary>
public static class RelayErrorCodes
{
    /// <summary>Malformed message, or a field missing, of the wrong type or out of range.</summary>
    public const string BadRequest = "bad_request";

    /// <summary>The message's <c>type</c> is not known to the server.</summary>
    public const string UnknownType = "unknown_type";

    /// <summary>A message that needs a room, sent before joining or after leaving.</summary>
    public const string NotConnected = "not_connected";

    /// <summary><c>connect</c> while already in a room.</summary>
    public const string AlreadyConnected = "already_connected";

    /// <summary>No room with that id.</summary>
    public const string RoomNotFound = "room_not_found";

    /// <summary>Neither the secret nor the host secret matches.</summary>
    public const string InvalidSecret = "invalid_secret";

    /// <summary>The room has <c>maxClients</c> clients.</summary>
    public const string RoomFull = "room_full";

    /// <summary>The room is locked.</summary>
    public const string RoomLocked = "room_locked";

    /// <summary>A host-only message from a client that is not the host.</summary>
    public const string NotHost = "not_host";

    /// <summary>The room's protocol does not allow this relay.</summary>
    public const string Forbidden = "forbidden";

    /// <summary>A target, kick or transfer id that is not in the room.</summary>
    public const string UnknownClient = "unknown_client";

    /// <summary>Over the connection's message rate; the message was dropped.</summary>
    public const string RateLimited = "rate_limited";
}

/// <summary>The WebSocket close codes Relay uses.</summary>
public static class RelayCloseCodes
{
    /// <summary>Normal closure (the server's answer when the client closes).</summary>
    public const int Normal = 1000;

    /// <summary>The server is shutting down (after <c>room_closed</c> with <c>shutdown</c>).</summary>
    public const int GoingAway = 1001;

    /// <summary>Policy violation: persistent rate-limit abuse.</summary>
    public const int PolicyViolation = 1008;

    /// <summary>A message larger than the server's maximum.</summary>
    public const int MessageTooBig = 1009;

    /// <summary>The room was closed (after <c>room_closed</c>).</summary>
    public const int RoomClosed = 4000;

    /// <summary>This client was kicked (after <c>kicked</c>).</summary>
    public const int Kicked = 4001;

    /// <summary>No <c>connect</c> within the server's connect timeout.</summary>
    public const int ConnectTimeout = 4002;

    /// <summary>Slow consumer: the client's send queue on the server overflowed.</summary>
    public const int SlowConsumer = 4004;
}

/// <summary>The reasons of <see cref="ClientLeftMessage.Reason"/>.</summary>
public static class ClientLeftReasons
{
    /// <summary>The client sent <c>leave</c>.</summary>
    public const string Left = "left";

    /// <summary>The client's connection closed or failed.</summary>
    public const string Disconnected = "disconnected";

    /// <summary>The host or a backend kicked the client.</summary>
    public const string Kicked = "kicked";

    /// <summary>The client did not answer keep-alive pings.</summary>
    public const string Timeout = "timeout";
}

/// <summary>The reasons of <see cref="RoomClosedMessage.Reason"/>.</summary>
public static class RoomClosedReasons
{
    /// <summary>The host closed the room.</summary>
    public const string ClosedByHost = "closed_by_host";

    /// <summary>A backend deleted the room.</summary>
    public const string Deleted = "deleted";

    /// <summary>The host of a <c>host</c>-protocol room left.</summary>
    public const string HostLeft = "host_left";

    /// <summary>The room was empty for too long.</summary>
    public const string Expired = "expired";

    /// <summary>The server is shutting down.</summary>
    public const string Shutdown = "shutdown";
}
