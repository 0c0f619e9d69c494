namespace Relay.Application.Realtime.Parsing;

/// <summary>
/// A client message's `ref`, kept as the raw JSON token (a string or an integer) so that it is echoed exactly.
/// The bytes belong to the receive buffer: valid only while the message is being handled.
/// </summary>
public readonly record struct MessageRef(ReadOnlyMemory<byte> RawJson)
{
    public static MessageRef None => default;

    public bool IsPresent => !RawJson.IsEmpty;
}
