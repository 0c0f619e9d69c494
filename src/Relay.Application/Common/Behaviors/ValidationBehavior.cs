using FluentValidation;
using FluentValidation.Results;
using Mediator;
using Relay.Application.Common.Results;

namespace Relay.Application.Common.Behaviors;

/// <summary>
/// Runs a message's FluentValidation validators before its handler and answers with the response type's
/// validation failure instead of throwing. Messages without validators (the broadcast hot path) pass
/// straight through: the validator list is resolved once, since everything is a singleton.
/// </summary>
public sealed class ValidationBehavior<TMessage, TResponse> : IPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, IMessage
    where TResponse : IValidationFailure<TResponse>
{
    private readonly IValidator<TMessage>[] _validators;

    public ValidationBehavior(IEnumerable<IValidator<TMessage>> validators) => _validators = [.. validators];

    public ValueTask<TResponse> Handle(
        TMessage message,
        MessageHandlerDelegate<TMessage, TResponse> next,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (_validators.Length == 0)
        {
            return next(message, cancellationToken);
        }

        List<ValidationFailure>? failures = null;
        foreach (var validator in _validators)
        {
            var result = validator.Validate(message);
            if (!result.IsValid)
            {
                (failures ??= []).AddRange(result.Errors);
            }
        }

        return failures is null
            ? next(message, cancellationToken)
            : ValueTask.FromResult(TResponse.FromValidationFailures(failures));
    }
}
