namespace Relay.Application.Common.Options;

/// <summary>`Relay:Tokens:*`: the keys that verify client tokens (JWT, HS256) and the issuer and audience they must name.</summary>
public sealed class TokenOptions
{
    /// <summary>HS256 keys, each at least 32 characters (used as UTF-8 bytes); any of them verifies a token. None: tokens are refused.</summary>
    public IList<string> SigningKeys { get; init; } = [];

    /// <summary>When set, a token's `iss` must be this.</summary>
    public string? Issuer { get; set; }

    /// <summary>When set, a token's `aud` must be (or contain) this.</summary>
    public string? Audience { get; set; }
}
