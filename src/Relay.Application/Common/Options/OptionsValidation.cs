using FluentValidation;
using Microsoft.Extensions.Options;

namespace Relay.Application.Common.Options;

/// <summary>
/// Adapts a FluentValidation validator of an options class to the options system, each message naming the full
/// configuration key: <paramref name="section"/> (where the class is bound, such as `Relay` or `Relay:Redis`),
/// then the property path (`Relay:Redis:KeyPrefix: ...`, `Relay:ApiKeys:0: ...`). Every layer validates its own
/// options with it.
/// </summary>
public sealed class OptionsValidation<TOptions>(IValidator<TOptions> validator, string section) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var result = validator.Validate(options);
        if (result.IsValid)
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(result.Errors.Select(e => $"{section}:{KeyName(e.PropertyName)}: {e.ErrorMessage}"));
    }

    private static string KeyName(string propertyName) =>
        propertyName.Replace('.', ':').Replace("[", ":", StringComparison.Ordinal).Replace("]", string.Empty, StringComparison.Ordinal);
}
