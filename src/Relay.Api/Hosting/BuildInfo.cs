using System.Reflection;

namespace Relay.Api.Hosting;

/// <summary>
/// The server's version: the informational version of this assembly, from the build's one `&lt;Version&gt;`
/// (Directory.Build.props) plus the commit it was built from. Shown in the start-up log, in `/healthz` and as
/// the `relay_build_info` metric.
/// </summary>
public static class BuildInfo
{
    public static string Version { get; } =
        typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(BuildInfo).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}
