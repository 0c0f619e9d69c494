using FluentValidation;
using Microsoft.Extensions.Options;

namespace Relay.Application.Common.Options;

/// <summary>The rules each `Relay:*` value must meet; a failure stops start-up naming the key.</summary>
public sealed class RelayOptionsValidator : AbstractValidator<RelayOptions>
{
    public RelayOptionsValidator()
    {
        RuleFor(o => o.MaxMessageBytes).InclusiveBetween(1024, 16 * 1024 * 1024);
        RuleFor(o => o.MaxConnections).InclusiveBetween(1, 10_000_000);
        RuleFor(o => o.MaxRooms).InclusiveBetween(1, 10_000_000);
        RuleFor(o => o.MaxNameLength).InclusiveBetween(1, 1024);
        RuleFor(o => o.MaxMetadataBytes).InclusiveBetween(2, 1024 * 1024);
        RuleFor(o => o.MaxJsonDepth).InclusiveBetween(2, 256);
        RuleFor(o => o.MaxClientsCap).InclusiveBetween(1, 100_000);
        RuleFor(o => o.DefaultMaxClients).GreaterThanOrEqualTo(1)
            .LessThanOrEqualTo(o => o.MaxClientsCap).WithMessage("must be between 1 and Relay:MaxClientsCap");
        RuleFor(o => o.ConnectTimeoutSeconds).InclusiveBetween(1, 3600);
        RuleFor(o => o.EmptyRoomTtlSeconds).InclusiveBetween(0, 7 * 24 * 3600);
        RuleFor(o => o.KeepAliveSeconds).InclusiveBetween(0, 3600);
        RuleFor(o => o.RateLimit.MessagesPerSecond).InclusiveBetween(1, 1_000_000).OverridePropertyName("RateLimit:MessagesPerSecond");
        RuleFor(o => o.RateLimit.Burst).InclusiveBetween(1, 1_000_000).OverridePropertyName("RateLimit:Burst");
        RuleFor(o => o.SendQueue.MaxMessages).InclusiveBetween(1, 1_000_000).OverridePropertyName("SendQueue:MaxMessages");
        RuleFor(o => o.SendQueue.MaxBytes).InclusiveBetween(1024, 1L << 32).OverridePropertyName("SendQueue:MaxBytes");
        RuleFor(o => o.Resume.WindowSeconds).InclusiveBetween(0, 3600).OverridePropertyName("Resume:WindowSeconds");
        RuleFor(o => o.Resume.HistoryMessages).InclusiveBetween(1, 1_000_000).OverridePropertyName("Resume:HistoryMessages");
        RuleFor(o => o.Resume.HistoryBytes).InclusiveBetween(1024, 1L << 32).OverridePropertyName("Resume:HistoryBytes");
        RuleFor(o => o.Backplane).Must(b => b is "InMemory" or "Redis").WithMessage("must be InMemory or Redis");
        RuleForEach(o => o.ApiKeys).NotEmpty().MinimumLength(16).WithMessage("each key must have at least 16 characters");
        RuleForEach(o => o.AllowedOrigins).Must(o => WebOrigin.TryNormalize(o, out _))
            .WithMessage("each entry must be an origin: a scheme, a host and an optional port, such as https://game.example");
        RuleFor(o => o.Redis.ConnectionString).NotEmpty().When(o => o.Backplane == "Redis").OverridePropertyName("Redis:ConnectionString");
        RuleFor(o => o.Redis.KeyPrefix).NotEmpty().Matches("^[A-Za-z0-9_.:-]{1,64}$").WithMessage("must be 1-64 letters, digits or _.:-")
            .OverridePropertyName("Redis:KeyPrefix");
        RuleFor(o => o.Redis.HeartbeatSeconds).InclusiveBetween(0.1, 60).OverridePropertyName("Redis:HeartbeatSeconds");
        RuleFor(o => o.Redis.TimeoutSeconds).InclusiveBetween(0.1, 60).OverridePropertyName("Redis:TimeoutSeconds");
        RuleFor(o => o.Redis.NodeId).Matches("^[A-Za-z0-9_.-]{1,64}$").When(o => o.Redis.NodeId is not null)
            .WithMessage("must be 1-64 letters, digits or _.-").OverridePropertyName("Redis:NodeId");
        RuleFor(o => o.Webhooks).SetValidator(new WebhookOptionsValidator());
        RuleFor(o => o.Tokens).SetValidator(new TokenOptionsValidator());
    }
}

/// <summary>Adapts <see cref="RelayOptionsValidator"/> to the options system with messages naming the key.</summary>
public sealed class RelayOptionsValidation(RelayOptionsValidator validator) : IValidateOptions<RelayOptions>
{
    public ValidateOptionsResult Validate(string? name, RelayOptions options)
    {
        var result = validator.Validate(options);
        if (result.IsValid)
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(result.Errors.Select(e =>
            $"{RelayOptions.SectionName}:{KeyName(e.PropertyName)}: {e.ErrorMessage}"));
    }

    private static string KeyName(string propertyName) =>
        propertyName.Replace('.', ':').Replace("[", ":", StringComparison.Ordinal).Replace("]", string.Empty, StringComparison.Ordinal);
}
