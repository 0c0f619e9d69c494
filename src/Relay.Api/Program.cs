using Microsoft.Extensions.Options;
using Relay.Api;
using Relay.Api.Hosting;

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
