using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Relay.Client;

/// <summary>
/// A message from the server: one of <see cref="ConnectedMessage"/>, <see cref="ClientJoinedMessage"/>,
/// <see cref="ClientLeftMessage"/>, <see cref="HostChangedMessage"/>, <see cref="DataMessage"/>,
/// <see cref="BinaryMessage"/>, <see cref="KickedMessage"/>, <see cref="RoomClosedMessage"/>,
/// <see cref="LeftMessage"/>, <see cref="PongMessage"/>, <see cref="ErrorMessage"/> or
/// <see cref="UnknownServerMessage"/>.
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

/// <summary>A client in the room, as <c>connected</c> lists them.</summary>
/// <param name="ClientId">The client's id in the room.</param>
/// <param name="Name">The name it gave, or null.</param>
/// <param name="IsHost">Whether it is the room's host.</param>
public sealed record RoomMember(int ClientId, string? Name, bool IsHost);

/// <summary><c>connected</c>: the reply to joining a room; always the first message from the room.</summary>
public sealed class ConnectedMessage() : ServerMessage("connected")
{
    /// <summary>The room id.</summary>
    public string RoomId { get; init; } = "";

    /// <summary>This client's id in the room (a new one after every join or reconnect).</summary>
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
}

/// <summary><c>client_joined</c>: another client joined the room.</summary>
public sealed class ClientJoinedMessage() : ServerMessage("client_joined")
{
    /// <summary>The new client's id.</summary>
    public int ClientId { get; init; }

    /// <summary>The new client's name, or null.</summary>
    public string? Name { get; init; }
}

/// <summary><c>client_left</c>: another client left the room.</summary>
public sealed class ClientLeftMessage() : ServerMessage("client_left")
{
    /// <summary>The client's id.</summary>
    public int ClientId { get; init; }

    /// <summary>Why: one of <see cref="ClientLeftReasons"/>.</summary>
    public string Reason { get; init; } = "";
}

/// <summary><c>host_changed</c>: the room has a new host, or none.</summary>
public sealed class HostChangedMessage() : ServerMessage("host_changed")
{
    /// <summary>The new host's client id, or null when the room has no host.</summary>
    public int? HostId { get; init; }
}

/// <summary><c>message</c>: JSON data relayed from a client, or pushed by a backend (<see cref="From"/> 0).</summary>
public sealed class DataMessage() : ServerMessage("message")
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

/// <summary>A binary frame relayed from a client (<c>type</c> is <c>"binary"</c>; not a wire type).</summary>
public sealed class BinaryMessage() : ServerMessage("binary")
{
    /// <summary>The sender's client id.</summary>
    public int From { get; init; }

    /// <summary>The payload, as the sender sent it.</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }
}

/// <summary><c>kicked</c>: this client was kicked; the server closes the connection with 4001 next.</summary>
public sealed class KickedMessage() : ServerMessage("kicked")
{
    /// <summary>The reason: the host's, <c>"kicked by the host"</c> or <c>"kicked by the server"</c>.</summary>
    public string Reason { get; init; } = "";
}

/// <summary><c>room_closed</c>: the room is gone; the server closes the connection with 4000 (1001 on shutdown) next.</summary>
public sealed class RoomClosedMessage() : ServerMessage("room_closed")
{
    /// <summary>Why: one of <see cref="RoomClosedReasons"/>.</summary>
    public string Reason { get; init; } = "";

    /// <summary>The host's reason when it closed the room with one, else null.</summary>
    public string? Message { get; init; }
}

/// <summary><c>left</c>: the reply to leaving the room.</summary>
public sealed class LeftMessage() : ServerMessage("left")
{
    /// <summary>The <c>ref</c> of the <c>leave</c>, as text, if it had one.</summary>
    public string? Ref { get; init; }
}

/// <summary><c>pong</c>: the reply to an application-level ping.</summary>
public sealed class PongMessage() : ServerMessage("pong")
{
    /// <summary>The <c>ref</c> of the <c>ping</c>, as text, if it had one.</summary>
    public string? Ref { get; init; }
}

/// <summary><c>error</c>: a message of this client failed; the connection stays open.</summary>
public sealed class ErrorMessage() : ServerMessage("error")
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
