using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Xml.Linq;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Shipping;

/// <summary>
/// The Relay.Client NuGet package as a user gets it: `dotnet pack` into a folder feed, then a fresh console project
/// outside the repository that references the package from that feed (and the usual registry for anything else),
/// built and run against the real server: it creates a room, joins two clients and relays both ways.
/// </summary>
[Collection(ShippingBuildsCollection.Name)]
public sealed class NuGetPackageTests
{
    private const string ConsumerProgram = """"
        using System.Reflection;
        using System.Text;
        using Relay.Client;

        var server = new Uri(args[0]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;

        using var api = new RelayApiClient(server);
        var room = await api.CreateRoomAsync(new CreateRoomRequest { MaxClients = 2 }, ct);

        await using var alice = new RelayRealtimeClient(new RelayRealtimeOptions { ServerUri = server, RoomId = room.Id, Secret = room.Secret, Name = "alice" });
        await using var bob = new RelayRealtimeClient(new RelayRealtimeOptions { ServerUri = server, RoomId = room.Id, Secret = room.Secret, Name = "bob" });
        var aliceGot = new TaskCompletionSource<DataMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var bobGot = new TaskCompletionSource<DataMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        alice.DataReceived += (_, m) => aliceGot.TrySetResult(m);
        bob.DataReceived += (_, m) => bobGot.TrySetResult(m);

        var a = await alice.ConnectAsync(ct);
        var b = await bob.ConnectAsync(ct);
        Console.WriteLine($"joined {room.Id}: alice={a.ClientId} host={a.IsHost} bob={b.ClientId} clients={b.Clients.Count}");

        await alice.BroadcastJsonAsync("""{"text":"hello from the package"}"""u8.ToArray(), cancellationToken: ct);
        var toBob = await bobGot.Task.WaitAsync(ct);
        Console.WriteLine($"bob got from {toBob.From}: {Encoding.UTF8.GetString(toBob.RawData.Span)}");

        await bob.SendJsonAsync([a.ClientId], """{"text":"hi alice"}"""u8.ToArray(), cancellationToken: ct);
        var toAlice = await aliceGot.Task.WaitAsync(ct);
        Console.WriteLine($"alice got from {toAlice.From}: {Encoding.UTF8.GetString(toAlice.RawData.Span)}");

        await bob.CloseAsync(ct);
        await alice.CloseAsync(ct);
        var version = typeof(RelayApiClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Console.WriteLine($"Relay.Client {version.Split('+')[0]}");
        """";

    [Fact]
    public async Task The_packed_client_restores_from_a_folder_feed_into_a_fresh_console_app_that_joins_and_relays()
    {
        using var temp = new TempDirectory("nuget");
        var feed = temp.Combine("feed");
        var dotnet = Tool.Find("dotnet", "dotnet-sdk (https://dot.net)");
        var version = Repository.Version;

        // Release, into the feed; no restore: the solution build restored the project already.
        await Tool.RunCheckedAsync(
            dotnet,
            ["pack", Repository.PathOf("src", "Relay.Client", "Relay.Client.csproj"), "-c", "Release", "--no-restore", "-o", feed, "-v", "q", "-nologo"],
            timeout: TimeSpan.FromMinutes(4));
        var package = Path.Combine(feed, $"Relay.Client.{version}.nupkg");
        Assert.True(File.Exists(package), $"no {Path.GetFileName(package)} in the feed: {string.Join(", ", Directory.GetFiles(feed).Select(Path.GetFileName))}");
        AssertPackageContents(package, version);
        AssertSymbolPackage(Path.Combine(feed, $"Relay.Client.{version}.snupkg"));

        // A fresh console project outside the repository (no Directory.Build.props, no central versions), with a
        // NuGet.config that adds the feed to the usual sources, and a packages folder of its own (no stale cache).
        var app = temp.Combine("app");
        var packages = temp.Combine("packages");
        temp.Write("app/Consumer.csproj", $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Relay.Client" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        temp.Write("app/Program.cs", ConsumerProgram);
        temp.Write("app/NuGet.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{packages}" />
              </config>
              <packageSources>
                <add key="relay-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        await Tool.RunCheckedAsync(dotnet, ["build", "-c", "Release", "-v", "q", "-nologo"], app, timeout: TimeSpan.FromMinutes(4));

        // The package came from the feed, byte for byte.
        var metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(packages, "relay.client", version.ToLowerInvariant(), ".nupkg.metadata"))).RootElement;
        Assert.Equal(Path.GetFullPath(feed).TrimEnd('/'), metadata.GetProperty("source").GetString()!.TrimEnd('/'));
        Assert.Equal(Convert.ToBase64String(SHA512.HashData(File.ReadAllBytes(package))), metadata.GetProperty("contentHash").GetString());

        await using var server = await RelayServer.StartAsync();
        var run = await Tool.RunCheckedAsync(
            dotnet,
            [Path.Combine(app, "bin", "Release", "net10.0", "Consumer.dll"), server.BaseAddress.ToString()],
            app,
            timeout: TimeSpan.FromMinutes(2));
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Matches("^joined [A-Za-z0-9_-]+: alice=1 host=True bob=2 clients=2$", lines[0]);
        Assert.Equal(
            [
                """bob got from 1: {"text":"hello from the package"}""",
                """alice got from 2: {"text":"hi alice"}""",
                $"Relay.Client {version}",
            ],
            lines[1..]);
    }

    /// <summary>The nuspec's metadata, the README, the assembly and its XML docs.</summary>
    private static void AssertPackageContents(string package, string version)
    {
        using var zip = ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        foreach (var expected in new[] { "Relay.Client.nuspec", "README.md", "lib/net10.0/Relay.Client.dll", "lib/net10.0/Relay.Client.xml" })
        {
            Assert.True(entries.Contains(expected), $"the package has no {expected}: {string.Join(", ", entries)}");
        }

        XNamespace ns = "http://schemas.microsoft.com/packaging/2012/06/nuspec.xsd";
        using var nuspecStream = zip.GetEntry("Relay.Client.nuspec")!.Open();
        var metadata = XDocument.Load(nuspecStream).Root!.Element(ns + "metadata")!;
        string Value(string name) => metadata.Element(ns + name)?.Value ?? throw new Xunit.Sdk.XunitException($"nuspec has no <{name}>");
        Assert.Equal("Relay.Client", Value("id"));
        Assert.Equal(version, Value("version"));
        Assert.Equal("MIT", Value("license"));
        Assert.Equal("expression", metadata.Element(ns + "license")!.Attribute("type")?.Value);
        Assert.Equal("README.md", Value("readme"));
        Assert.False(string.IsNullOrWhiteSpace(Value("description")));
        Assert.False(string.IsNullOrWhiteSpace(Value("authors")));
        var repository = metadata.Element(ns + "repository") ?? throw new Xunit.Sdk.XunitException("nuspec has no <repository>");
        Assert.Equal(RepositoryUrl.Placeholder, repository.Attribute("url")?.Value);
        Assert.Equal("git", repository.Attribute("type")?.Value);

        using var readme = new StreamReader(zip.GetEntry("README.md")!.Open());
        Assert.Contains("dotnet add package Relay.Client", readme.ReadToEnd(), StringComparison.Ordinal);
        using var docs = zip.GetEntry("lib/net10.0/Relay.Client.xml")!.Open();
        var members = XDocument.Load(docs).Descendants("member").Select(m => m.Attribute("name")!.Value).ToList();
        Assert.Contains("T:Relay.Client.RelayRealtimeClient", members);
        Assert.Contains("T:Relay.Client.RelayApiClient", members);
    }

    private static void AssertSymbolPackage(string symbols)
    {
        Assert.True(File.Exists(symbols), $"no symbol package {Path.GetFileName(symbols)}");
        using var zip = ZipFile.OpenRead(symbols);
        Assert.Contains("lib/net10.0/Relay.Client.pdb", zip.Entries.Select(e => e.FullName));
    }
}

/// <summary>The heavy build tests (pack, publish, npm) run one after another, beside the rest of the suite.</summary>
[CollectionDefinition(Name)]
public sealed class ShippingBuildsCollection
{
    public const string Name = "Shipping builds";
}
