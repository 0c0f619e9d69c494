using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Relay.Application.Webhooks;

/// <summary>
/// The Standard Webhooks signature: <c>v1,</c> and base64 of HMAC-SHA256, keyed with the bytes of the secret after
/// <c>whsec_</c>, over <c>{webhook-id}.{webhook-timestamp}.{body}</c>.
/// </summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";
    public const int MinSecretBytes = 24;

    /// <summary>The key of a <c>whsec_...</c> secret; false when it is not one (or too short).</summary>
    public static bool TryDecodeSecret(string secret, out byte[] key)
    {
        key = [];
        if (secret is null || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            key = Convert.FromBase64String(secret[SecretPrefix.Length..]);
        }
        catch (FormatException)
        {
            return false;
        }

        return key.Length >= MinSecretBytes;
    }

    /// <summary>The `webhook-signature` header value of one attempt.</summary>
    public static string Sign(ReadOnlySpan<byte> key, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{id}.{timestamp}."));
        var signed = ArrayPool<byte>.Shared.Rent(prefix.Length + body.Length);
        try
        {
            prefix.CopyTo(signed, 0);
            body.CopyTo(signed.AsSpan(prefix.Length));
            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            HMACSHA256.HashData(key, signed.AsSpan(0, prefix.Length + body.Length), mac);
            return "v1," + Convert.ToBase64String(mac);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(signed);
        }
    }
}
