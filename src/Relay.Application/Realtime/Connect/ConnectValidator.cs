using FluentValidation;
using Microsoft.Extensions.Options;
using Relay.Application.Common.Options;

namespace Relay.Application.Realtime.Connect;

public sealed class ConnectValidator : AbstractValidator<ConnectCommand>
{
    /// <summary>Validates with the default limits.</summary>
    public ConnectValidator()
        : this(Options.Create(new RelayOptions()))
    {
    }

    public ConnectValidator(IOptions<RelayOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var maxName = options.Value.MaxNameLength;
        RuleFor(c => c.RoomId).NotEmpty().WithMessage("roomId is required")
            .MaximumLength(64).WithMessage("roomId has at most 64 characters");
        RuleFor(c => c.Secret).NotEmpty().WithMessage("secret is required")
            .MaximumLength(256).WithMessage("secret has at most 256 characters");
        RuleFor(c => c.Name).MaximumLength(maxName).WithMessage($"name has at most {maxName} characters");
    }
}
