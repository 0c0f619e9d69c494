using FluentValidation;

namespace Relay.Application.Realtime.Send;

public sealed class SendValidator : AbstractValidator<SendCommand>
{
    public const int MaxRecipients = 64;

    public SendValidator()
    {
        RuleFor(c => c.To).NotNull().WithMessage("to is required")
            .Must(to => to!.Count is >= 1 and <= MaxRecipients).WithMessage($"to lists 1 to {MaxRecipients} client ids")
            .When(c => c.To is not null, ApplyConditionTo.CurrentValidator);
        RuleForEach(c => c.To).GreaterThan(0).WithMessage("client ids are positive integers");
    }
}
