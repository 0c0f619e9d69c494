using FluentValidation;

namespace Relay.Application.Realtime.Kick;

public sealed class KickValidator : AbstractValidator<KickCommand>
{
    public const int MaxReasonLength = 256;

    public KickValidator()
    {
        RuleFor(c => c.ClientId).NotNull().WithMessage("clientId is required")
            .GreaterThan(0).WithMessage("clientId is a positive integer");
        RuleFor(c => c.Reason).MaximumLength(MaxReasonLength).WithMessage($"reason has at most {MaxReasonLength} characters");
    }
}
