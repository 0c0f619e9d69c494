using System.Text;
using Relay.Domain.Rooms;

namespace Relay.UnitTests.Domain;

public sealed class SecretHashTests
{
    [Fact]
    public void A_secret_matches_its_own_digest_only()
    {
        var hash = SecretHash.Of("correct horse battery staple");

        Assert.True(hash.Matches(SecretHash.Digest("correct horse battery staple")));
        Assert.False(hash.Matches(SecretHash.Digest("correct horse battery stapl")));
        Assert.False(hash.Matches(SecretHash.Digest("Correct horse battery staple")));
    }

    [Fact]
    public void The_secret_is_kept_only_as_a_sha256_digest()
    {
        var hash = SecretHash.Of("s3cret-value");

        Assert.Equal(32, hash.DigestBytes.Length);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("s3cret-value")), hash.DigestBytes.ToArray());
    }

    [Fact]
    public void A_digest_of_the_wrong_length_never_matches()
    {
        var hash = SecretHash.Of("abc");

        Assert.False(hash.Matches(new byte[31]));
        Assert.False(hash.Matches([]));
    }

    [Fact]
    public void FromDigest_copies_the_digest_and_rejects_other_lengths()
    {
        var digest = SecretHash.Digest("abc");
        var hash = SecretHash.FromDigest(digest);
        digest[0] ^= 0xff;

        Assert.True(hash.Matches(SecretHash.Digest("abc")));
        Assert.Throws<ArgumentException>(() => SecretHash.FromDigest(new byte[16]));
    }

    [Fact]
    public void Digest_of_null_is_the_digest_of_the_empty_string()
    {
        Assert.Equal(SecretHash.Digest(string.Empty), SecretHash.Digest(null!));
    }
}
