using System.Security.Cryptography;
using System.Text;

namespace Relay.Domain.Rooms;

/// <summary>
/// A room secret kept only as its SHA-256 digest, so that a memory dump does not reveal it;
/// comparisons run in constant time.
/// </summary>
public sealed class SecretHash
{
    private readonly byte[] _digest;

    private SecretHash(byte[] digest) => _digest = digest;

    public static SecretHash Of(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return new SecretHash(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
    }

    public static SecretHash FromDigest(byte[] digest)
    {
        ArgumentNullException.ThrowIfNull(digest);
        if (digest.Length != SHA256.HashSizeInBytes)
        {
            throw new ArgumentException("A SHA-256 digest has 32 bytes.", nameof(digest));
        }

        return new SecretHash((byte[])digest.Clone());
    }

    /// <summary>The digest of a presented secret, computed once and compared against several hashes.</summary>
    public static byte[] Digest(string presented) => SHA256.HashData(Encoding.UTF8.GetBytes(presented ?? string.Empty));

    public ReadOnlySpan<byte> DigestBytes => _digest;

    /// <summary>Constant-time comparison with a digest from <see cref="Digest(string)"/>.</summary>
    public bool Matches(ReadOnlySpan<byte> presentedDigest) =>
        CryptographicOperations.FixedTimeEquals(_digest, presentedDigest);
}
