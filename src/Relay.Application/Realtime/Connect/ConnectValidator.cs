using FluentValidation;

namespace Relay.Application.Realtime.Connect;

public sealed class ConnectValidator : AbstractValidator<ConnectCommand>
{
    public const int MaxNameLength = 64;

    public ConnectValidator()
    {
        RuleFor(c => c.RoomId).NotEmpty().WithMessage("roomId is required")
            .MaximumLength(64).WithMessage("roomId has at most 64 characters");
        RuleFor(c => c.Secret).NotEmpty().WithMessage("secret is required")
            .MaximumLength(256).WithMessage("secret has at most 256 characters");
        RuleFor(c => c.Name).MaximumLength(MaxNameLength).WithMessage($"name has at most {MaxNameLength} characters");
    }
}
