using System.Text;

namespace Relay.Domain.Rooms;

/// <summary>A room's metadata: a JSON object kept as the UTF-8 text the backend sent, never reformatted.</summary>
public sealed class RoomMetadata
{
    public static readonly RoomMetadata Empty = new("{}"u8.ToArray());

    private readonly byte[] _utf8;

    private RoomMetadata(byte[] utf8) => _utf8 = utf8;

    /// <summary>Wraps JSON text the caller has already checked is an object.</summary>
    public static RoomMetadata FromJson(string json) => new(Encoding.UTF8.GetBytes(json));

    public ReadOnlySpan<byte> Utf8 => _utf8;

    public override string ToString() => Encoding.UTF8.GetString(_utf8);
}
