using FluentValidation;

namespace Relay.Application.Realtime.TransferHost;

public sealed class TransferHostValidator : AbstractValidator<TransferHostCommand>
{
    public TransferHostValidator() =>
        RuleFor(c => c.ClientId).NotNull().WithMessage("clientId is required")
            .GreaterThan(0).WithMessage("clientId is a positive integer");
}
