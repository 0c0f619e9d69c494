using FluentValidation;

namespace Relay.Application.Realtime.CloseRoom;

public sealed class CloseRoomValidator : AbstractValidator<CloseRoomCommand>
{
    public const int MaxReasonLength = 256;

    public CloseRoomValidator() =>
        RuleFor(c => c.Reason).MaximumLength(MaxReasonLength).WithMessage($"reason has at most {MaxReasonLength} characters");
}
