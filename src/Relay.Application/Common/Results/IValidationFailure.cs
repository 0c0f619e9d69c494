using FluentValidation.Results;

namespace Relay.Application.Common.Results;

/// <summary>A response type that can say "the message was invalid" without an exception.</summary>
public interface IValidationFailure<out TSelf>
    where TSelf : IValidationFailure<TSelf>
{
    static abstract TSelf FromValidationFailures(IReadOnlyList<ValidationFailure> failures);
}
