namespace Relay.Application.Realtime.Parsing;

/// <summary>The `type` values a client may send.</summary>
public enum ClientMessageType
{
    None,
    Connect,
    Broadcast,
    Send,
    Leave,
    Kick,
    TransferHost,
    CloseRoom,
    Ping,
    Resume,
}

/// <summary>
/// The envelope of a client text message: the fields the server reads. `data` is a slice of the original
/// bytes, relayed as is. Slices are valid only while the message is being handled.
/// </summary>
public struct ClientMessage
{
    public ClientMessageType Type;
    public MessageRef Ref;
    public string? RoomId;
    public string? Secret;
    public string? Name;
    public string? Reason;
    public int? ClientId;
    public int[]? To;
    public string? Token;
    public long? Seq;
    public bool Resume;
    public ReadOnlyMemory<byte> Data;
    public bool HasData;
}
