namespace Relay.Application.Common;

/// <summary>The `error.code` values of the wire contract (defined once in <see cref="Wire.Errors"/>, shared with the client).</summary>
public static class ErrorCodes
{
    public const string BadRequest = Wire.Errors.BadRequest;
    public const string UnknownType = Wire.Errors.UnknownType;
    public const string NotConnected = Wire.Errors.NotConnected;
    public const string AlreadyConnected = Wire.Errors.AlreadyConnected;
    public const string RoomNotFound = Wire.Errors.RoomNotFound;
    public const string InvalidSecret = Wire.Errors.InvalidSecret;
    public const string RoomFull = Wire.Errors.RoomFull;
    public const string RoomLocked = Wire.Errors.RoomLocked;
    public const string NotHost = Wire.Errors.NotHost;
    public const string Forbidden = Wire.Errors.Forbidden;
    public const string UnknownClient = Wire.Errors.UnknownClient;
    public const string RateLimited = Wire.Errors.RateLimited;

    /// <summary>A cluster node cannot reach the shared state (Redis) right now; retry later (contract 1.1).</summary>
    public const string Unavailable = Wire.Errors.Unavailable;

    /// <summary>A `resume` that cannot be completed in full: nothing of the gap was sent (contract 1.1).</summary>
    public const string ResumeFailed = Wire.Errors.ResumeFailed;

    /// <summary>A client token that is malformed, expired, not yet valid, badly signed or for another issuer or audience (contract 1.1).</summary>
    public const string InvalidToken = Wire.Errors.InvalidToken;
}

/// <summary>The `client_left.reason` values (<see cref="Wire.LeaveReasons"/>).</summary>
public static class LeaveReasons
{
    public const string Left = Wire.LeaveReasons.Left;
    public const string Disconnected = Wire.LeaveReasons.Disconnected;
    public const string Kicked = Wire.LeaveReasons.Kicked;
    public const string Timeout = Wire.LeaveReasons.Timeout;
}

/// <summary>The `room_closed.reason` values (<see cref="Wire.RoomClosedReasons"/>).</summary>
public static class RoomClosedReasons
{
    public const string ClosedByHost = Wire.RoomClosedReasons.ClosedByHost;
    public const string Deleted = Wire.RoomClosedReasons.Deleted;
    public const string HostLeft = Wire.RoomClosedReasons.HostLeft;
    public const string Expired = Wire.RoomClosedReasons.Expired;
    public const string Shutdown = Wire.RoomClosedReasons.Shutdown;
}
