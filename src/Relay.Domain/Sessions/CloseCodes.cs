namespace Relay.Domain.Sessions;

/// <summary>WebSocket close codes of the wire contract.</summary>
public static class CloseCodes
{
    public const ushort Normal = 1000;
    public const ushort GoingAway = 1001;
    public const ushort PolicyViolation = 1008;
    public const ushort MessageTooBig = 1009;
    public const ushort InternalError = 1011;
    public const ushort RoomClosed = 4000;
    public const ushort Kicked = 4001;
    public const ushort ConnectTimeout = 4002;
    public const ushort SlowConsumer = 4004;
}
