using FluentValidation;
using Microsoft.Extensions.Options;
using Relay.Application.Common.Options;

namespace Relay.Application.Realtime.Tokens;

public sealed class TokenConnectValidator : AbstractValidator<TokenConnectCommand>
{
    /// <summary>Validates with the default limits.</summary>
    public TokenConnectValidator()
        : this(Options.Create(new RelayOptions()))
    {
    }

    public TokenConnectValidator(IOptions<RelayOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var maxName = options.Value.MaxNameLength;
        RuleFor(c => c.Token).NotEmpty().WithMessage("token is required")
            .MaximumLength(ClientTokens.MaxTokenLength).WithMessage($"token has at most {ClientTokens.MaxTokenLength} characters");
        RuleFor(c => c.Name).MaximumLength(maxName).WithMessage($"name has at most {maxName} characters");
    }
}
