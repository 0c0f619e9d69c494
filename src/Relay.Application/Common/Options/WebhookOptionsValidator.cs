using FluentValidation;
using Relay.Application.Webhooks;

namespace Relay.Application.Common.Options;

/// <summary>The rules of `Relay:Webhooks:*` (a child of <see cref="RelayOptionsValidator"/>, so failures name the key).</summary>
public sealed class WebhookOptionsValidator : AbstractValidator<WebhookOptions>
{
    public WebhookOptionsValidator()
    {
        RuleFor(o => o.Url).Must(BeHttpUrl).When(o => o.Enabled).WithMessage("must be an absolute http or https URL");
        RuleFor(o => o.Secret).NotEmpty().When(o => o.Enabled).WithMessage("is required when Relay:Webhooks:Url is set");
        RuleFor(o => o.Secret).Must(s => WebhookSignature.TryDecodeSecret(s!, out _))
            .When(o => !string.IsNullOrEmpty(o.Secret))
            .WithMessage($"must be whsec_ followed by base64 of at least {WebhookSignature.MinSecretBytes} bytes");
        RuleForEach(o => o.Events).Must(e => WebhookEventTypes.All.Contains(e))
            .WithMessage($"each event must be one of {string.Join(", ", WebhookEventTypes.All)}");
        RuleFor(o => o.TimeoutSeconds).InclusiveBetween(0.1, 300);
        RuleFor(o => o.RetryForSeconds).InclusiveBetween(0, 7 * 24 * 3600);
        RuleFor(o => o.MaxQueuedEvents).InclusiveBetween(1, 10_000_000);
    }

    private static bool BeHttpUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}

/// <summary>The rules of `Relay:Tokens:*`.</summary>
public sealed class TokenOptionsValidator : AbstractValidator<TokenOptions>
{
    public const int MinKeyLength = 32;

    public TokenOptionsValidator()
    {
        RuleForEach(o => o.SigningKeys).NotEmpty().MinimumLength(MinKeyLength)
            .WithMessage($"each key must have at least {MinKeyLength} characters");
        RuleFor(o => o.Issuer).NotEmpty().When(o => o.Issuer is not null).WithMessage("must not be empty when set");
        RuleFor(o => o.Audience).NotEmpty().When(o => o.Audience is not null).WithMessage("must not be empty when set");
    }
}
