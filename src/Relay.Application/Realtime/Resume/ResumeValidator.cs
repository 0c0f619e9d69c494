using FluentValidation;

namespace Relay.Application.Realtime.Resume;

public sealed class ResumeValidator : AbstractValidator<ResumeCommand>
{
    public ResumeValidator()
    {
        RuleFor(c => c.RoomId).NotEmpty().WithMessage("roomId is required")
            .MaximumLength(64).WithMessage("roomId has at most 64 characters");
        RuleFor(c => c.Token).NotEmpty().WithMessage("token is required")
            .MaximumLength(256).WithMessage("token has at most 256 characters");
        RuleFor(c => c.Seq).NotNull().WithMessage("seq is required")
            .GreaterThanOrEqualTo(0).WithMessage("seq is a non-negative integer");
    }
}
