using FluentValidation;

namespace Relay.Infrastructure.Backplanes;

/// <summary>`Relay:Backplane`: which backplane holds the rooms, `InMemory` (one node) or `Redis` (a cluster).</summary>
public sealed class BackplaneOptions
{
    public const string SectionName = "Relay";

    public const string InMemory = "InMemory";

    public const string Redis = "Redis";

    public string Backplane { get; set; } = InMemory;
}

/// <summary>The rule of `Relay:Backplane`.</summary>
public sealed class BackplaneOptionsValidator : AbstractValidator<BackplaneOptions>
{
    public BackplaneOptionsValidator()
    {
        RuleFor(o => o.Backplane).Must(b => b is BackplaneOptions.InMemory or BackplaneOptions.Redis).WithMessage("must be InMemory or Redis");
    }
}
