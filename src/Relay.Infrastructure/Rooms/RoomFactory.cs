using System.Security.Cryptography;
using Relay.Application.Abstractions;
using Relay.Domain.Rooms;

namespace Relay.Infrastructure.Rooms;

/// <summary>
/// Makes new rooms: ids and secrets from the cryptographic RNG, URL-safe base64 (96 bits for ids,
/// 192 bits for secrets), secrets kept only as hashes inside the room.
/// </summary>
public sealed class RoomFactory(TimeProvider timeProvider)
{
    public const int IdBytes = 12;
    public const int SecretBytes = 24;

    public CreatedRoom Create(RoomSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var id = spec.Id ?? NewToken(IdBytes);
        var secret = spec.Secret ?? NewToken(SecretBytes);
        var hostSecret = NewToken(SecretBytes);
        var room = new Room(
            id,
            SecretHash.Of(secret),
            SecretHash.Of(hostSecret),
            spec.Protocol,
            spec.HostAssignment,
            spec.MaxClients,
            spec.Metadata,
            timeProvider.GetUtcNow());
        return new CreatedRoom(room, secret, hostSecret);
    }

    /// <summary>A new id for a room whose requested id is free; callers retry on the rare collision.</summary>
    public static string NewToken(int bytes)
    {
        Span<byte> buffer = stackalloc byte[bytes];
        RandomNumberGenerator.Fill(buffer);
        return Base64Url(buffer);
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
