using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Shipping;

/// <summary>The repository address placeholder, used the same way by every package and the README.</summary>
internal static class RepositoryUrl
{
    /// <summary>A placeholder (example.com) until the project is published; change it everywhere at once.</summary>
    public const string Placeholder = "https://example.com/relay.git";
}

/// <summary>One version, one licence and one repository address across the NuGet package, the npm package and the README.</summary>
public sealed partial class PackageMetadataTests
{
    [Fact]
    public void The_npm_package_has_the_release_version_and_the_same_repository_address_as_the_nuget_package_and_the_readme()
    {
        var packageJson = JsonDocument.Parse(Repository.Read("clients", "js", "package.json")).RootElement;
        Assert.True(
            packageJson.GetProperty("version").GetString() == Repository.Version,
            $"clients/js/package.json has version {packageJson.GetProperty("version")}, Directory.Build.props <Version> is " +
            $"{Repository.Version}: keep them equal (one version per release).");
        var lockVersion = JsonDocument.Parse(Repository.Read("clients", "js", "package-lock.json")).RootElement.GetProperty("version").GetString();
        Assert.Equal(Repository.Version, lockVersion);

        // The install commands of the README and docs/clients.md name the files `npm pack` and `dotnet pack` make
        // of this version.
        var named = PackageVersionInDocs().Matches(Repository.Read("README.md") + Repository.Read("docs", "clients.md"))
            .Select(m => m.Groups["version"].Value).ToList();
        Assert.True(named.Count >= 4, $"the install commands name {named.Count} package versions");
        Assert.All(named, v => Assert.Equal(Repository.Version, v));

        var npmRepository = packageJson.GetProperty("repository").GetProperty("url").GetString()!;
        Assert.Equal(RepositoryUrl.Placeholder, npmRepository.Replace("git+", string.Empty, StringComparison.Ordinal));
        var csproj = XDocument.Load(Repository.PathOf("src", "Relay.Client", "Relay.Client.csproj"));
        Assert.Equal(RepositoryUrl.Placeholder, csproj.Descendants("RepositoryUrl").Single().Value);
        var homepage = RepositoryUrl.Placeholder[..^".git".Length];
        Assert.Equal(homepage, csproj.Descendants("PackageProjectUrl").Single().Value);
        Assert.Equal(homepage, packageJson.GetProperty("homepage").GetString());
        Assert.Contains(homepage, Repository.Read("README.md"), StringComparison.Ordinal);
        Assert.Equal("MIT", packageJson.GetProperty("license").GetString());
        var props = XDocument.Load(Repository.PathOf("Directory.Build.props"));
        Assert.Equal("MIT", props.Descendants("PackageLicenseExpression").Single().Value);
        Assert.Empty(csproj.Descendants("PackageLicenseExpression"));
        Assert.StartsWith("MIT License", Repository.Read("LICENSE"), StringComparison.Ordinal);
    }

    [GeneratedRegex(@"(?:relay-server-client-|Relay\.Client\.|--version )(?<version>\d+\.\d+\.\d+(?:-[0-9A-Za-z-]+)?)(?:\.tgz|\.nupkg|\s)")]
    private static partial Regex PackageVersionInDocs();
}
