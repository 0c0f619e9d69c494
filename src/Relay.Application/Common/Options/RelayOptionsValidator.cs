using FluentValidation;

namespace Relay.Application.Common.Options;

/// <summary>The rules each application `Relay:*` value must meet; a failure stops start-up naming the key.</summary>
public sealed class RelayOptionsValidator : AbstractValidator<RelayOptions>
{
    public RelayOptionsValidator()
    {
        RuleFor(o => o.MaxRooms).InclusiveBetween(1, 10_000_000);
        RuleFor(o => o.MaxNameLength).InclusiveBetween(1, 1024);
        RuleFor(o => o.MaxMetadataBytes).InclusiveBetween(2, 1024 * 1024);
        RuleFor(o => o.MaxJsonDepth).InclusiveBetween(2, 256);
        RuleFor(o => o.MaxClientsCap).InclusiveBetween(1, 100_000);
        RuleFor(o => o.DefaultMaxClients).GreaterThanOrEqualTo(1)
            .LessThanOrEqualTo(o => o.MaxClientsCap).WithMessage("must be between 1 and Relay:MaxClientsCap");
        RuleFor(o => o.EmptyRoomTtlSeconds).InclusiveBetween(0, 7 * 24 * 3600);
        RuleFor(o => o.RateLimit.MessagesPerSecond).InclusiveBetween(1, 1_000_000).OverridePropertyName("RateLimit:MessagesPerSecond");
        RuleFor(o => o.RateLimit.Burst).InclusiveBetween(1, 1_000_000).OverridePropertyName("RateLimit:Burst");
        RuleFor(o => o.Resume.WindowSeconds).InclusiveBetween(0, 3600).OverridePropertyName("Resume:WindowSeconds");
        RuleFor(o => o.Resume.HistoryMessages).InclusiveBetween(1, 1_000_000).OverridePropertyName("Resume:HistoryMessages");
        RuleFor(o => o.Resume.HistoryBytes).InclusiveBetween(1024, 1L << 32).OverridePropertyName("Resume:HistoryBytes");
        RuleFor(o => o.Webhooks).SetValidator(new WebhookOptionsValidator());
        RuleFor(o => o.Tokens).SetValidator(new TokenOptionsValidator());
    }
}
