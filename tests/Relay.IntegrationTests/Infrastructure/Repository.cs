using System.Xml.Linq;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>
/// The repository's own files (Directory.Build.props, docs, packages, deployment files), found from the test
/// assembly's directory: the one place the tests look for the repository root.
/// </summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>The one <c>&lt;Version&gt;</c> of Directory.Build.props: the version of every package of a release.</summary>
    public static string Version { get; } =
        XDocument.Load(PathOf("Directory.Build.props")).Descendants("Version").Single().Value;

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(PathOf(parts));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Relay.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"Relay.sln not found above {AppContext.BaseDirectory}");
    }
}
