using System.Buffers.Binary;
using Relay.Application.Common;
using Relay.Application.Common.Results;

namespace Relay.Application.Realtime.Parsing;

/// <summary>
/// A client binary message: a relay to every client the room's protocol allows (<see cref="Target"/> null) or
/// to one client. <see cref="Payload"/> is a slice of the received bytes, valid while the message is handled.
/// </summary>
public readonly record struct BinaryMessage(int? Target, ReadOnlyMemory<byte> Payload);

/// <summary>
/// Reads a client binary message: `0x00` + payload (broadcast), or `0x01` + 4-byte big-endian client id +
/// payload (send to that client). Whatever the bytes, it returns a result: it never throws.
/// </summary>
public static class BinaryMessageParser
{
    public const byte BroadcastOperation = Wire.Binary.Broadcast;
    public const byte SendOperation = Wire.Binary.Send;

    /// <summary>Parses <paramref name="frame"/>; on failure the result carries `bad_request`.</summary>
    public static RealtimeResult Parse(ReadOnlyMemory<byte> frame, out BinaryMessage message)
    {
        message = default;
        var span = frame.Span;
        if (span.IsEmpty)
        {
            return RealtimeResult.Fail(ErrorCodes.BadRequest, "empty binary frame");
        }

        switch (span[0])
        {
            case BroadcastOperation:
                message = new BinaryMessage(null, frame[1..]);
                return RealtimeResult.Ok;
            case SendOperation when span.Length < 5:
                return RealtimeResult.Fail(ErrorCodes.BadRequest, "binary send needs a 4-byte client id");
            case SendOperation:
                message = new BinaryMessage(BinaryPrimitives.ReadInt32BigEndian(span[1..5]), frame[5..]);
                return RealtimeResult.Ok;
            default:
                return RealtimeResult.Fail(ErrorCodes.BadRequest, $"unknown binary operation 0x{span[0]:x2}");
        }
    }
}
