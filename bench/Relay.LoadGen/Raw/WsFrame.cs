using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace Relay.LoadGen.Raw;

/// <summary>RFC 6455 framing primitives: opcodes, headers, masking and the handshake's accept key.</summary>
internal static class WsFrame
{
    public const byte Continuation = 0x0;
    public const byte Text = 0x1;
    public const byte Binary = 0x2;
    public const byte Close = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    /// <summary>The longest header: 2 bytes, an 8-byte length and a 4-byte mask key.</summary>
    public const int MaxHeaderLength = 14;

    /// <summary>Header bytes (FIN frame, with the mask key when <paramref name="masked"/>) for a payload of <paramref name="payloadLength"/>.</summary>
    public static int HeaderLength(int payloadLength, bool masked) =>
        (payloadLength < 126 ? 2 : payloadLength <= ushort.MaxValue ? 4 : 10) + (masked ? 4 : 0);

    /// <summary>
    /// Writes a FIN frame's header for <paramref name="opcode"/> and <paramref name="payloadLength"/>; with a
    /// <paramref name="maskKey"/> (client frames) it sets the mask bit and writes the key. Returns the header's length.
    /// </summary>
    public static int WriteHeader(Span<byte> destination, byte opcode, int payloadLength, uint? maskKey)
    {
        destination[0] = (byte)(0x80 | opcode);
        var maskBit = maskKey is null ? (byte)0 : (byte)0x80;
        int at;
        if (payloadLength < 126)
        {
            destination[1] = (byte)(maskBit | payloadLength);
            at = 2;
        }
        else if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = (byte)(maskBit | 126);
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
            at = 4;
        }
        else
        {
            destination[1] = (byte)(maskBit | 127);
            BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
            at = 10;
        }

        if (maskKey is { } key)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination[at..], key);
            at += 4;
        }

        return at;
    }

    /// <summary>A whole FIN frame (header, key, masked payload) in a new array: for the rare frames (join, control).</summary>
    public static byte[] Encode(byte opcode, ReadOnlySpan<byte> payload, uint? maskKey)
    {
        var frame = new byte[HeaderLength(payload.Length, maskKey is not null) + payload.Length];
        var at = WriteHeader(frame, opcode, payload.Length, maskKey);
        payload.CopyTo(frame.AsSpan(at));
        if (maskKey is { } key)
        {
            Mask(frame.AsSpan(at), key, 0);
        }

        return frame;
    }

    /// <summary>
    /// XORs <paramref name="data"/> with the mask key (its wire bytes read as a little-endian uint), as if
    /// <paramref name="data"/> started at byte <paramref name="offset"/> of the frame's payload. Masking twice unmasks.
    /// </summary>
    public static void Mask(Span<byte> data, uint maskKey, int offset)
    {
        var key = BitOperations.RotateRight(maskKey, (offset & 3) * 8);
        var wide = key | ((ulong)key << 32);
        var i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            var slice = data.Slice(i, 8);
            BinaryPrimitives.WriteUInt64LittleEndian(slice, BinaryPrimitives.ReadUInt64LittleEndian(slice) ^ wide);
        }

        for (; i < data.Length; i++)
        {
            data[i] ^= (byte)(key >> ((i & 3) * 8));
        }
    }

    /// <summary>A random mask key with no zero byte (a zero byte would leave that position in clear).</summary>
    public static uint NewMaskKey()
    {
        Span<byte> key = stackalloc byte[4];
        RandomNumberGenerator.Fill(key);
        for (var i = 0; i < 4; i++)
        {
            key[i] = key[i] == 0 ? (byte)0x5A : key[i];
        }

        return BinaryPrimitives.ReadUInt32LittleEndian(key);
    }

    /// <summary>A frame header read from the front of a buffer.</summary>
    public readonly record struct Header(bool Fin, byte Opcode, int HeaderLength, long PayloadLength, uint? MaskKey, bool Reserved);

    /// <summary>Reads the header at the front of <paramref name="data"/>; false when it is not all there yet.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> data, out Header header)
    {
        header = default;
        if (data.Length < 2)
        {
            return false;
        }

        var b0 = data[0];
        var b1 = data[1];
        var masked = (b1 & 0x80) != 0;
        var length7 = b1 & 0x7F;
        var at = length7 == 126 ? 4 : length7 == 127 ? 10 : 2;
        var headerLength = at + (masked ? 4 : 0);
        if (data.Length < headerLength)
        {
            return false;
        }

        long length = length7 switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(data[2..]),
            127 => (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(data[2..]), long.MaxValue),
            _ => length7,
        };
        header = new Header(
            (b0 & 0x80) != 0,
            (byte)(b0 & 0x0F),
            headerLength,
            length,
            masked ? BinaryPrimitives.ReadUInt32LittleEndian(data[at..]) : null,
            (b0 & 0x70) != 0);
        return true;
    }

    /// <summary>RFC 6455: base64 of SHA-1 of the client's key and the protocol's GUID.</summary>
    public static string AcceptKey(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
}
