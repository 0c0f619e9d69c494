using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Relay.Application.Common.Options;

namespace Relay.Application.Realtime.Tokens;

/// <summary>What a verified client token grants, or why it is refused.</summary>
/// <param name="Error">Null when the token is valid; else the human-readable reason sent with `invalid_token`.</param>
/// <param name="RoomId">The `room` claim.</param>
/// <param name="Name">The `name` claim (it wins over the message's `name`).</param>
/// <param name="UserId">The `sub` claim, shown as `userId`.</param>
/// <param name="Host">The `host` claim: join as with the host secret.</param>
public readonly record struct TokenGrant(string? Error, string RoomId, string? Name, string? UserId, bool Host)
{
    public bool IsValid => Error is null;

    public static TokenGrant Refused(string error) => new(error, string.Empty, null, null, false);
}

/// <summary>
/// Verifies client tokens (`Relay:Tokens:*`) with Microsoft.IdentityModel.JsonWebTokens: HS256 only (`alg: none` and
/// every other algorithm refused), any configured key (rotation), issuer and audience when configured, `exp` required,
/// `nbf` honoured, 30 s of clock skew, and the `room` claim required. The token itself never reaches a log or an
/// error message; the library's own logging does not include it either (its PII switch stays off).
/// </summary>
public sealed class ClientTokens
{
    public const int MaxTokenLength = 8192;
    public const int MaxRoomIdLength = 64;
    public const int MaxUserIdLength = 256;
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters? _parameters;
    private readonly int _maxName;

    public ClientTokens(IOptions<RelayOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tokens = options.Value.Tokens;
        _maxName = options.Value.MaxNameLength;
        if (tokens.SigningKeys.Count == 0)
        {
            return;
        }

        _parameters = new TokenValidationParameters
        {
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            IssuerSigningKeys = [.. tokens.SigningKeys.Select(k => new SymmetricSecurityKey(Encoding.UTF8.GetBytes(k)))],
            TryAllIssuerSigningKeys = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = ClockSkew,
            ValidateIssuer = tokens.Issuer is not null,
            ValidIssuer = tokens.Issuer,
            ValidateAudience = tokens.Audience is not null,
            ValidAudience = tokens.Audience,
            RequireAudience = tokens.Audience is not null,
        };
    }

    /// <summary>Verifies <paramref name="token"/>; a refusal says why in words fit for the client.</summary>
    public async ValueTask<TokenGrant> ValidateAsync(string token)
    {
        if (_parameters is null)
        {
            return TokenGrant.Refused("this server accepts no client tokens (no signing keys are configured)");
        }

        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            return TokenGrant.Refused("the token is malformed");
        }

        TokenValidationResult result;
        try
        {
            result = await _handler.ValidateTokenAsync(token, _parameters);
        }
        catch (ArgumentException)
        {
            return TokenGrant.Refused("the token is malformed");
        }

        if (!result.IsValid)
        {
            return TokenGrant.Refused(OtherAlgorithm(token) ? "the token must be signed with HS256" : Reason(result.Exception));
        }

        // Claims are read as the JSON has them: a number is not a room id, nor "yes" a boolean.
        var claims = result.Claims;
        if (!claims.TryGetValue("room", out var rawRoom) || rawRoom is not string room || room.Length is 0 or > MaxRoomIdLength)
        {
            return TokenGrant.Refused("the token has no valid room claim");
        }

        var name = claims.TryGetValue("name", out var rawName) ? rawName : null;
        if (name is not null and not string || name is string n && n.Length > _maxName)
        {
            return TokenGrant.Refused($"the token's name claim must be a string of at most {_maxName} characters");
        }

        var sub = claims.TryGetValue("sub", out var rawSub) ? rawSub : null;
        if (sub is not null and not string || sub is string u && u.Length is 0 or > MaxUserIdLength)
        {
            return TokenGrant.Refused($"the token's sub claim must be a string of 1-{MaxUserIdLength} characters");
        }

        var host = claims.TryGetValue("host", out var rawHost) ? rawHost : null;
        if (host is not null and not bool)
        {
            return TokenGrant.Refused("the token's host claim must be a boolean");
        }

        return new TokenGrant(null, room, (string?)name, (string?)sub, host is true);
    }

    /// <summary>True when the token's header names an algorithm other than HS256 (the library reports it as a key or signature failure).</summary>
    private static bool OtherAlgorithm(string token)
    {
        try
        {
            return new JsonWebToken(token).Alg is { } alg && alg != SecurityAlgorithms.HmacSha256 && alg != "none";
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string Reason(Exception? e) => e switch
    {
        SecurityTokenExpiredException => "the token has expired",
        SecurityTokenNotYetValidException => "the token is not valid yet",
        SecurityTokenNoExpirationException => "the token has no exp claim",
        SecurityTokenInvalidLifetimeException => "the token's lifetime is not valid",
        SecurityTokenInvalidIssuerException => "the token is for another issuer",
        SecurityTokenInvalidAudienceException => "the token is for another audience",
        SecurityTokenInvalidAlgorithmException => "the token must be signed with HS256",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the token's signature does not match",
        SecurityTokenMalformedException or ArgumentException => "the token is malformed",
        _ => "the token is not valid",
    };
}
