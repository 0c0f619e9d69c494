using Microsoft.Extensions.Options;
using Relay.Api.Configuration;

namespace Relay.Api.Security;

/// <summary>
/// Outside Development the REST API needs keys: without `Relay:ApiKeys`, and unless `Relay:AllowAnonymousApi`
/// is true, start-up fails with the other configuration problems.
/// </summary>
internal sealed class ApiKeyRequirement(IHostEnvironment environment) : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.AllowAnonymousApi || environment.IsDevelopment() || options.ApiKeys.Any(k => !string.IsNullOrEmpty(k)))
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(
            $"Relay:ApiKeys: no API keys are configured and the environment is {environment.EnvironmentName}. " +
            "Set Relay:ApiKeys (for example Relay__ApiKeys__0=<a long random key>) or Relay:AllowAnonymousApi=true.");
    }
}
