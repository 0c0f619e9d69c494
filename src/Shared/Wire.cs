using System.Text.Json;

namespace Relay;

/// <summary>
/// Every string and number of the wire contract (version 1 and the 1.1 additions), defined once. This one file is
/// compiled into the server (Relay.Domain) and into the .NET client (Relay.Client) as a linked source file, so the
/// two cannot drift; the public constant classes of both sides (the server's <c>ErrorCodes</c>, <c>CloseCodes</c>,
/// <c>LeaveReasons</c>, <c>RoomClosedReasons</c>; the client's <c>RelayErrorCodes</c>, <c>RelayCloseCodes</c>,
/// <c>ClientLeftReasons</c>, <c>RoomClosedReasons</c>) and both sides' parsers and frame builders refer to it.
/// </summary>
internal static class Wire
{
    /// <summary>The <c>type</c> of the messages a client sends.</summary>
    internal static class ClientTypes
    {
        public const string Connect = "connect";
        public const string Resume = "resume";
        public const string Broadcast = "broadcast";
        public const string Send = "send";
        public const string Leave = "leave";
        public const string Kick = "kick";
        public const string TransferHost = "transfer_host";
        public const string CloseRoom = "close_room";
        public const string Ping = "ping";
    }

    /// <summary>The <c>type</c> of the messages the server sends.</summary>
    internal static class ServerTypes
    {
        public const string Connected = "connected";
        public const string Resumed = "resumed";
        public const string Message = "message";
        public const string ClientJoined = "client_joined";
        public const string ClientLeft = "client_left";
        public const string ClientAway = "client_away";
        public const string ClientBack = "client_back";
        public const string HostChanged = "host_changed";
        public const string Kicked = "kicked";
        public const string RoomClosed = "room_closed";
        public const string Left = "left";
        public const string Pong = "pong";
        public const string Error = "error";
    }

    /// <summary>The client message types as JSON text encoded once, to write and to match without transcoding per message.</summary>
    internal static class EncodedClientTypes
    {
        public static readonly JsonEncodedText Connect = JsonEncodedText.Encode(ClientTypes.Connect);
        public static readonly JsonEncodedText Resume = JsonEncodedText.Encode(ClientTypes.Resume);
        public static readonly JsonEncodedText Broadcast = JsonEncodedText.Encode(ClientTypes.Broadcast);
        public static readonly JsonEncodedText Send = JsonEncodedText.Encode(ClientTypes.Send);
        public static readonly JsonEncodedText Leave = JsonEncodedText.Encode(ClientTypes.Leave);
        public static readonly JsonEncodedText Kick = JsonEncodedText.Encode(ClientTypes.Kick);
        public static readonly JsonEncodedText TransferHost = JsonEncodedText.Encode(ClientTypes.TransferHost);
        public static readonly JsonEncodedText CloseRoom = JsonEncodedText.Encode(ClientTypes.CloseRoom);
        public static readonly JsonEncodedText Ping = JsonEncodedText.Encode(ClientTypes.Ping);
    }

    /// <summary>The server message types as JSON text encoded once.</summary>
    internal static class EncodedServerTypes
    {
        public static readonly JsonEncodedText Connected = JsonEncodedText.Encode(ServerTypes.Connected);
        public static readonly JsonEncodedText Resumed = JsonEncodedText.Encode(ServerTypes.Resumed);
        public static readonly JsonEncodedText Message = JsonEncodedText.Encode(ServerTypes.Message);
        public static readonly JsonEncodedText ClientJoined = JsonEncodedText.Encode(ServerTypes.ClientJoined);
        public static readonly JsonEncodedText ClientLeft = JsonEncodedText.Encode(ServerTypes.ClientLeft);
        public static readonly JsonEncodedText ClientAway = JsonEncodedText.Encode(ServerTypes.ClientAway);
        public static readonly JsonEncodedText ClientBack = JsonEncodedText.Encode(ServerTypes.ClientBack);
        public static readonly JsonEncodedText HostChanged = JsonEncodedText.Encode(ServerTypes.HostChanged);
        public static readonly JsonEncodedText Kicked = JsonEncodedText.Encode(ServerTypes.Kicked);
        public static readonly JsonEncodedText RoomClosed = JsonEncodedText.Encode(ServerTypes.RoomClosed);
        public static readonly JsonEncodedText Left = JsonEncodedText.Encode(ServerTypes.Left);
        public static readonly JsonEncodedText Pong = JsonEncodedText.Encode(ServerTypes.Pong);
        public static readonly JsonEncodedText Error = JsonEncodedText.Encode(ServerTypes.Error);
    }

    /// <summary>The <c>code</c> of <c>error</c> messages.</summary>
    internal static class Errors
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
        public const string Unavailable = "unavailable";
        public const string ResumeFailed = "resume_failed";
        public const string InvalidToken = "invalid_token";
    }

    /// <summary>The WebSocket close codes.</summary>
    internal static class CloseCodes
    {
        public const ushort Normal = 1000;
        public const ushort GoingAway = 1001;
        public const ushort ProtocolError = 1002;
        public const ushort InvalidPayload = 1007;
        public const ushort PolicyViolation = 1008;
        public const ushort MessageTooBig = 1009;
        public const ushort InternalError = 1011;
        public const ushort RoomClosed = 4000;
        public const ushort Kicked = 4001;
        public const ushort ConnectTimeout = 4002;
        public const ushort SlowConsumer = 4004;
        public const ushort Replaced = 4005;
    }

    /// <summary>The <c>reason</c> of <c>client_left</c>.</summary>
    internal static class LeaveReasons
    {
        public const string Left = "left";
        public const string Disconnected = "disconnected";
        public const string Kicked = "kicked";
        public const string Timeout = "timeout";
    }

    /// <summary>The <c>reason</c> of <c>room_closed</c>.</summary>
    internal static class RoomClosedReasons
    {
        public const string ClosedByHost = "closed_by_host";
        public const string Deleted = "deleted";
        public const string HostLeft = "host_left";
        public const string Expired = "expired";
        public const string Shutdown = "shutdown";
    }

    /// <summary>The layout of binary frames.</summary>
    internal static class Binary
    {
        /// <summary>Client to server, first byte: broadcast the rest.</summary>
        public const byte Broadcast = 0x00;

        /// <summary>Client to server, first byte: send the rest (after a 4-byte big-endian client id) to that client.</summary>
        public const byte Send = 0x01;

        /// <summary>Server to client: the 4-byte big-endian sender id that starts every relay.</summary>
        public const int SenderIdLength = 4;

        /// <summary>Server to a resumable client: sender id then the 8-byte big-endian seq (0: not numbered) before the payload.</summary>
        public const int SequencedHeaderLength = 12;
    }
}
