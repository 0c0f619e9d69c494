namespace Relay.Application.Common;

/// <summary>The `error.code` values of the wire contract.</summary>
public static class ErrorCodes
{
    public const string BadRequest = "bad_request";
    public const string UnknownType = "unknown_type";
    public const string NotConnected = "not_connected";
    public const string AlreadyConnected = "already_connected";
    public const string RoomNotFound = "room_not_found";
    public const string InvalidSecret = "invalid_secret";
    public const string RoomFull = "room_full";
    public const string RoomLocked = "room_locked";
    public const string NotHost = "not_host";
    public const string Forbidden = "forbidden";
    public const string UnknownClient = "unknown_client";
    public const string RateLimited = "rate_limited";

    /// <summary>Since version 1.1 of the contract: a cluster node cannot reach the shared state (Redis) right now; retry later.</summary>
    public const string Unavailable = "unavailable";
}

/// <summary>The `client_left.reason` values.</summary>
public static class LeaveReasons
{
    public const string Left = "left";
    public const string Disconnected = "disconnected";
    public const string Kicked = "kicked";
    public const string Timeout = "timeout";
}

/// <summary>The `room_closed.reason` values.</summary>
public static class RoomClosedReasons
{
    public const string ClosedByHost = "closed_by_host";
    public const string Deleted = "deleted";
    public const string HostLeft = "host_left";
    public const string Expired = "expired";
    public const string Shutdown = "shutdown";
}
