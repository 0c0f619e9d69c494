using System.Security.Cryptography;
using Relay.Domain.Rooms;

namespace Relay.Application.Rooms;

/// <summary>What a backend asks for when it creates a room (a null id or secret is generated).</summary>
public sealed record RoomSpec(
    string? Id,
    string? Secret,
    IRoomProtocol Protocol,
    HostAssignment HostAssignment,
    int MaxClients,
    RoomMetadata Metadata,
    int ResumeWindowSeconds = 0);

/// <summary>A new room with its secrets in clear: the only time they exist outside a hash.</summary>
public sealed record CreatedRoom(Room Room, string Secret, string HostSecret);

/// <summary>
/// Makes new rooms: ids and secrets from the cryptographic RNG, URL-safe base64 (96 bits for ids, 192 bits for
/// secrets), secrets kept only as hashes inside the room, and a random epoch that tells this room from any later one
/// with the same id.
/// </summary>
public sealed class RoomFactory(TimeProvider timeProvider)
{
    public const int IdBytes = 12;
    public const int SecretBytes = 24;
    public const int EpochBytes = 9;

    public CreatedRoom Create(RoomSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var id = spec.Id ?? NewToken(IdBytes);
        var secret = spec.Secret ?? NewToken(SecretBytes);
        var hostSecret = NewToken(SecretBytes);
        var room = new Room(
            new RoomSettings(
                id,
                SecretHash.Of(secret),
                SecretHash.Of(hostSecret),
                spec.Protocol,
                spec.HostAssignment,
                spec.MaxClients,
                spec.Metadata,
                spec.ResumeWindowSeconds,
                NewToken(EpochBytes)),
            TruncatedToMilliseconds(timeProvider.GetUtcNow()));
        return new CreatedRoom(room, secret, hostSecret);
    }

    /// <summary>Times are kept to the millisecond, as a shared store keeps them: a room reads the same everywhere.</summary>
    private static DateTimeOffset TruncatedToMilliseconds(DateTimeOffset time) =>
        DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());

    /// <summary>A random URL-safe token of <paramref name="bytes"/> random bytes.</summary>
    public static string NewToken(int bytes)
    {
        Span<byte> buffer = stackalloc byte[bytes];
        RandomNumberGenerator.Fill(buffer);
        return Convert.ToBase64String(buffer).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
