using System.Text.Json;
using System.Xml.Linq;

namespace Relay.IntegrationTests.Shipping;

/// <summary>The repository address placeholder, used the same way by every package and the README.</summary>
internal static class RepositoryUrl
{
    /// <summary>A placeholder (example.com) until the project is published; change it everywhere at once.</summary>
    public const string Placeholder = "https://example.com/relay.git";
}

/// <summary>One version and one repository address across the NuGet package, the npm package and the README.</summary>
public sealed class PackageMetadataTests
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

        var npmRepository = packageJson.GetProperty("repository").GetProperty("url").GetString()!;
        Assert.Equal(RepositoryUrl.Placeholder, npmRepository.Replace("git+", string.Empty, StringComparison.Ordinal));
        var csproj = XDocument.Load(Repository.PathOf("src", "Relay.Client", "Relay.Client.csproj"));
        Assert.Equal(RepositoryUrl.Placeholder, csproj.Descendants("RepositoryUrl").Single().Value);
        var homepage = RepositoryUrl.Placeholder[..^".git".Length];
        Assert.Equal(homepage, csproj.Descendants("PackageProjectUrl").Single().Value);
        Assert.Equal(homepage, packageJson.GetProperty("homepage").GetString());
        Assert.Contains(homepage, Repository.Read("README.md"), StringComparison.Ordinal);
        Assert.Equal("MIT", packageJson.GetProperty("license").GetString());
        Assert.Equal("MIT", csproj.Descendants("PackageLicenseExpression").Single().Value);
    }
}
