using FluentValidation;
using Relay.Application.Common;

namespace Relay.Application.Realtime.Disconnect;

public sealed class DisconnectValidator : AbstractValidator<DisconnectCommand>
{
    public DisconnectValidator() =>
        RuleFor(c => c.Reason).Must(r => r is LeaveReasons.Disconnected or LeaveReasons.Timeout)
            .WithMessage("a connection ends as disconnected or timeout");
}
