using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Relay.Client;

/// <summary>
/// A message from the server: one of <see cref="ConnectedMessage"/> (or its <see cref="ResumedMessage"/>),
/// <see cref="ClientJoinedMessage"/>, <see cref="ClientLeftMessage"/>, <see cref="ClientAwayMessage"/>,
/// <see cref="ClientBackMessage"/>, <see cref="HostChangedMessage"/>, <see cref="DataMessage"/>,
/// <see cref="BinaryMessage"/>, <see cref="KickedMessage"/>, <see cref="RoomClosedMessage"/>,
/// <see cref="LeftMessage"/>, <see cref="PongMessage"/>, <see cref="ErrorMessage"/> or
/// <see cref="UnknownServerMessage"/>. The room events among them are <see cref="RoomEventMessage"/>s.
/// </summary>
public abstract class ServerMessage
{
    /// <summary>Creates a message of the given type.</summary>
    /// <param name="type">The wire <c>type</c>, or <c>"binary"</c> for a binary frame.</param>
    protected ServerMessage(string type) => Type = type;

    /// <summary>The wire <c>type</c> (e.g. <c>"message"</c>, <c>"client_joined"</c>), or <c>"binary"</c> for a binary frame.</summary>
    public string Type { get; }

    /// <summary>The whole frame as received (UTF-8 JSON for text frames).</summary>
    public ReadOnlyMemory<byte> Raw { get; init; }

    /// <summary>The client's own integer <c>ref</c> echoed by the server, used to match replies to requests.</summary>
    internal long? OwnRef { get; init; }
}

/// <summary>
/// A room event: <c>message</c> (and binary relays), <c>client_joined</c>, <c>client_left</c>, <c>client_away</c>,
/// <c>client_back</c> or <c>host_changed</c>. In a room with resume on each carries the room's <see cref="Seq"/>.
/// </summary>
public abstract class RoomEventMessage : ServerMessage
{
    /// <summary>Creates a room event of the given type.</summary>
    /// <param name="type">The wire <c>type</c>, or <c>"binary"</c>.</param>
    protected RoomEventMessage(string type)
        : base(type)
    {
    }

    /// <summary>
    /// The event's number in the room (strictly increasing, the same for every recipient) when the room has resume on;
    /// null otherwise, and for a relay a cluster node could not number while its store was out.
    /// </summary>
    public long? Seq { get; init; }
}

/// <summary>A client in the room, as <c>connected</c> and <c>resumed</c> list them.</summary>
/// <param name="ClientId">The client's id in the room.</param>
/// <param name="Name">The name it gave, or null.</param>
/// <param name="IsHost">Whether it is the room's host.</param>
public sealed record RoomMember(int ClientId, string? Name, bool IsHost)
{
    /// <summary>The user id its backend put in its client token, or null.</summary>
    public string? UserId { get; init; }

    /// <summary>Whether its connection dropped and it holds its seat for the room's resume window.</summary>
    public bool Away { get; init; }
}

/// <summary>
/// <c>connected</c>: the reply to joining a room; always the first message from the room. Its subclass
/// <see cref="ResumedMessage"/> is the reply to coming back to a seat after a drop.
/// </summary>
public class ConnectedMessage : ServerMessage
{
    /// <summary>Creates a <c>connected</c> message.</summary>
    public ConnectedMessage()
        : base(Wire.ServerTypes.Connected)
    {
    }

    private protected ConnectedMessage(string type)
        : base(type)
    {
    }

    /// <summary>The room id.</summary>
    public string RoomId { get; init; } = "";

    /// <summary>This client's id in the room (a new one after every join, and after a reconnect that could not resume).</summary>
    public int ClientId { get; init; }

    /// <summary>The host's client id, or null.</summary>
    public int? HostId { get; init; }

    /// <summary>Whether this client is the host.</summary>
    public bool IsHost { get; init; }

    /// <summary>The room protocol (<see cref="RoomProtocols"/>).</summary>
    public string Protocol { get; init; } = "";

    /// <summary>The room's metadata object.</summary>
    public JsonElement Metadata { get; init; }

    /// <summary>Every client in the room in join order, this one included.</summary>
    public IReadOnlyList<RoomMember> Clients { get; init; } = [];

    /// <summary>The <c>ref</c> of the <c>connect</c>, as text, if it had one.</summary>
    public string? Ref { get; init; }

    /// <summary>
    /// The room's latest <see cref="RoomEventMessage.Seq"/> at that moment, when the room has resume on (the client's
    /// view starts after it); else null.
    /// </summary>
    public long? Seq { get; init; }

    /// <summary>
    /// The single-use token to come back to this seat after a drop, when resume is on (the client keeps the latest one
    /// itself); else null. Keep it out of logs.
    /// </summary>
    public string? ResumeToken { get; init; }
}

/// <summary>
/// <c>resumed</c>: this client is back in its seat after a drop (same client id, host role kept) and the room as it
/// found it; the <see cref="Missed"/> room events it missed follow, then live ones.
/// </summary>
public sealed class ResumedMessage() : ConnectedMessage(Wire.ServerTypes.Resumed)
{
    /// <summary>How many missed room events the server sends right after this message.</summary>
    public int Missed { get; init; }
}

/// <summary><c>client_joined</c>: another client joined the room.</summary>
public sealed class ClientJoinedMessage() : RoomEventMessage(Wire.ServerTypes.ClientJoined)
{
    /// <summary>The new client's id.</summary>
    public int ClientId { get; init; }

    /// <summary>The new client's name, or null.</summary>
    public string? Name { get; init; }

    /// <summary>The user id from its client token, or null.</summary>
    public string? UserId { get; init; }
}

/// <summary><c>client_away</c>: another client's connection dropped; it keeps its seat for the room's resume window.</summary>
public sealed class ClientAwayMessage() : RoomEventMessage(Wire.ServerTypes.ClientAway)
{
    /// <summary>The client's id.</summary>
    public int ClientId { get; init; }
}

/// <summary><c>client_back</c>: a client that was away came back to its seat.</summary>
public sealed class ClientBackMessage() : RoomEventMessage(Wire.ServerTypes.ClientBack)
{
    /// <summary>The client's id.</summary>
    public int ClientId { get; init; }
}

/// <summary><c>client_left</c>: another client left the room.</summary>
public sealed class ClientLeftMessage() : RoomEventMessage(Wire.ServerTypes.ClientLeft)
{
    /// <summary>The client's id.</summary>
    public int ClientId { get; init; }

    /// <summary>Why: one of <see cref="ClientLeftReasons"/>.</summary>
    public string Reason { get; init; } = "";
}

/// <summary><c>host_changed</c>: the room has a new host, or none.</summary>
public sealed class HostChangedMessage() : RoomEventMessage(Wire.ServerTypes.HostChanged)
{
    /// <summary>The new host's client id, or null when the room has no host.</summary>
    public int? HostId { get; init; }
}

/// <summary><c>message</c>: JSON data relayed from a client, or pushed by a backend (<see cref="From"/> 0).</summary>
public sealed class DataMessage() : RoomEventMessage(Wire.ServerTypes.Message)
{
    /// <summary>The sender's client id; 0 for the server (a backend push).</summary>
    public int From { get; init; }

    /// <summary>Whether the message was pushed by a backend rather than sent by a client.</summary>
    public bool IsFromServer => From == 0;

    /// <summary>The data, parsed.</summary>
    public JsonElement Data { get; init; }

    /// <summary>The data as UTF-8 JSON, byte for byte as the sender wrote it.</summary>
    public ReadOnlyMemory<byte> RawData { get; init; }

    /// <summary>Deserializes the data with <paramref name="typeInfo"/> (e.g. from your source-generated context).</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="typeInfo">How to read <typeparamref name="T"/>.</param>
    /// <returns>The value.</returns>
    /// <exception cref="JsonException">The data does not fit <typeparamref name="T"/>.</exception>
    public T? Deserialize<T>(JsonTypeInfo<T> typeInfo) => JsonSerializer.Deserialize(RawData.Span, typeInfo);
}

/// <summary>A binary frame relayed from a client (<c>type</c> is <c>"binary"</c>; not a wire type). For a resumable client its header carries <see cref="RoomEventMessage.Seq"/>.</summary>
public sealed class BinaryMessage() : RoomEventMessage("binary")
{
    /// <summary>The sender's client id.</summary>
    public int From { get; init; }

    /// <summary>The payload, as the sender sent it.</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }
}

/// <summary><c>kicked</c>: this client was kicked; the server closes the connection with 4001 next.</summary>
public sealed class KickedMessage() : ServerMessage(Wire.ServerTypes.Kicked)
{
    /// <summary>The reason: the host's, <c>"kicked by the host"</c> or <c>"kicked by the server"</c>.</summary>
    public string Reason { get; init; } = "";
}

/// <summary><c>room_closed</c>: the room is gone; the server closes the connection with 4000 (1001 on shutdown) next.</summary>
public sealed class RoomClosedMessage() : ServerMessage(Wire.ServerTypes.RoomClosed)
{
    /// <summary>Why: one of <see cref="RoomClosedReasons"/>.</summary>
    public string Reason { get; init; } = "";

    /// <summary>The host's reason when it closed the room with one, else null.</summary>
    public string? Message { get; init; }
}

/// <summary><c>left</c>: the reply to leaving the room.</summary>
public sealed class LeftMessage() : ServerMessage(Wire.ServerTypes.Left)
{
    /// <summary>The <c>ref</c> of the <c>leave</c>, as text, if it had one.</summary>
    public string? Ref { get; init; }
}

/// <summary><c>pong</c>: the reply to an application-level ping.</summary>
public sealed class PongMessage() : ServerMessage(Wire.ServerTypes.Pong)
{
    /// <summary>The <c>ref</c> of the <c>ping</c>, as text, if it had one.</summary>
    public string? Ref { get; init; }
}

/// <summary><c>error</c>: a message of this client failed; the connection stays open.</summary>
public sealed class ErrorMessage() : ServerMessage(Wire.ServerTypes.Error)
{
    /// <summary>The error code, one of <see cref="RelayErrorCodes"/>: program against this.</summary>
    public string Code { get; init; } = "";

    /// <summary>A human-readable description; may change between versions.</summary>
    public string Message { get; init; } = "";

    /// <summary>The <c>ref</c> of the failed message, as text (a string ref, or an integer's digits); null without one.</summary>
    public string? Ref { get; init; }
}

/// <summary>A text message whose <c>type</c> this version of the client does not know (or that could not be read).</summary>
public sealed class UnknownServerMessage(string type) : ServerMessage(type);
