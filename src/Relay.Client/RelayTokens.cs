using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Relay.Client;

/// <summary>
/// Mints client tokens for a backend: a short-lived JWT (HS256) that lets one client join one room without the room's
/// secret, as the server's `Relay:Tokens:*` settings verify it. Hand the token to the client; it sends it in
/// `connect` (<see cref="RelayRealtimeOptions.Token"/>).
/// </summary>
public static class RelayTokens
{
    /// <summary>How long a token is valid when no lifetime is given.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(10);

    private static readonly JsonWebTokenHandler Handler = new();

    /// <summary>Creates a token for <paramref name="roomId"/>.</summary>
    /// <param name="signingKey">One of the server's `Relay:Tokens:SigningKeys` (at least 32 characters).</param>
    /// <param name="roomId">The room the client may join (`room`).</param>
    /// <param name="userId">The backend's id of the user (`sub`), shown as `userId`; null for none.</param>
    /// <param name="name">The name to show (`name`), which wins over the name the client sends; null for none.</param>
    /// <param name="host">Join as host, as with the room's host secret (`host`).</param>
    /// <param name="lifetime">How long the token is valid (`exp`); default <see cref="DefaultLifetime"/>.</param>
    /// <param name="issuer">`iss`, when the server checks `Relay:Tokens:Issuer`.</param>
    /// <param name="audience">`aud`, when the server checks `Relay:Tokens:Audience`.</param>
    /// <returns>The compact JWT.</returns>
    public static string Create(
        string signingKey,
        string roomId,
        string? userId = null,
        string? name = null,
        bool host = false,
        TimeSpan? lifetime = null,
        string? issuer = null,
        string? audience = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(signingKey);
        ArgumentException.ThrowIfNullOrEmpty(roomId);
        ArgumentOutOfRangeException.ThrowIfLessThan(signingKey.Length, 32, nameof(signingKey));
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object> { ["room"] = roomId };
        if (userId is not null)
        {
            claims["sub"] = userId;
        }

        if (name is not null)
        {
            claims["name"] = name;
        }

        if (host)
        {
            claims["host"] = true;
        }

        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (lifetime ?? DefaultLifetime),
            Issuer = issuer,
            Audience = audience,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
    }
}
