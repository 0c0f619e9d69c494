using Microsoft.Extensions.Options;

namespace Relay.Api.Hosting;

/// <summary>
/// A configuration the server cannot start with: its problems, one per line and each naming its key, on
/// standard error, and exit code <see cref="ExitCode"/>; no stack trace, no abort.
/// </summary>
public static class StartupFailure
{
    /// <summary>EX_CONFIG of sysexits.h: a configuration error. Documented in docs/operations.md.</summary>
    public const int ExitCode = 78;

    /// <summary>Writes <paramref name="failure"/>'s messages to <paramref name="error"/> and returns <see cref="ExitCode"/>.</summary>
    public static int Report(OptionsValidationException failure, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(failure);
        ArgumentNullException.ThrowIfNull(error);
        error.WriteLine("Relay did not start: its configuration is invalid.");
        foreach (var message in failure.Failures)
        {
            error.WriteLine($"  {message}");
        }

        error.WriteLine("Every Relay:* key and its allowed values: docs/operations.md, Configuration reference.");
        error.Flush();
        return ExitCode;
    }
}
