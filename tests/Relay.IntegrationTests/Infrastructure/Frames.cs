using System.Buffers.Binary;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>Binary frames of the wire contract, as a client sends them and as a recipient gets them.</summary>
public static class Frames
{
    /// <summary>`0x00` + payload: broadcast.</summary>
    public static byte[] Broadcast(byte[] payload) => [0x00, .. payload];

    /// <summary>`0x01` + 4-byte big-endian client id + payload: send to one client.</summary>
    public static byte[] SendTo(int clientId, byte[] payload)
    {
        var id = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(id, clientId);
        return [0x01, .. id, .. payload];
    }

    /// <summary>What a recipient gets: the 4-byte big-endian sender id, then the payload.</summary>
    public static byte[] Relayed(int from, byte[] payload)
    {
        var id = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(id, from);
        return [.. id, .. payload];
    }
}
