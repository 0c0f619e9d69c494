namespace Relay.Domain.Connections;

/// <summary>WebSocket close codes of the wire contract (defined once in <see cref="Wire.CloseCodes"/>, shared with the client).</summary>
public static class CloseCodes
{
    public const ushort Normal = Wire.CloseCodes.Normal;
    public const ushort GoingAway = Wire.CloseCodes.GoingAway;
    public const ushort ProtocolError = Wire.CloseCodes.ProtocolError;
    public const ushort InvalidPayload = Wire.CloseCodes.InvalidPayload;
    public const ushort PolicyViolation = Wire.CloseCodes.PolicyViolation;
    public const ushort MessageTooBig = Wire.CloseCodes.MessageTooBig;
    public const ushort InternalError = Wire.CloseCodes.InternalError;
    public const ushort RoomClosed = Wire.CloseCodes.RoomClosed;
    public const ushort Kicked = Wire.CloseCodes.Kicked;
    public const ushort ConnectTimeout = Wire.CloseCodes.ConnectTimeout;
    public const ushort SlowConsumer = Wire.CloseCodes.SlowConsumer;
    public const ushort Replaced = Wire.CloseCodes.Replaced;
}
