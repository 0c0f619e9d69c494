using Microsoft.Extensions.Options;
using Relay.Api;
using Relay.Api.Hosting;

// `--healthcheck [url]`: the container's HEALTHCHECK (the runtime image has no curl); see HealthCheckCommand.
if (HealthCheckCommand.IsRequested(args))
{
    return await HealthCheckCommand.RunAsync(args, Console.Out);
}

try
{
    var app = RelayServer.Build(args);
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException invalid)
{
    return StartupFailure.Report(invalid, Console.Error);
}

/// <summary>The entry point, public for tests that start the real server.</summary>
public partial class Program;
