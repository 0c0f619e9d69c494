using System.Text.Json;
using FluentValidation;

namespace Relay.Application.Rooms.PushMessage;

public sealed class PushMessageValidator : AbstractValidator<PushMessageCommand>
{
    public PushMessageValidator()
    {
        RuleFor(c => c.Data).Must(d => d.ValueKind != JsonValueKind.Undefined).WithMessage("data is required");
        RuleFor(c => c.To).Must(to => to!.Count is >= 1 and <= 64).When(c => c.To is not null)
            .WithMessage("to lists 1 to 64 client ids");
        RuleForEach(c => c.To).GreaterThan(0).WithMessage("client ids are positive integers");
    }
}
