using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Shipping;

/// <summary>
/// The browser client's npm package (clients/js): its TypeScript declarations checked by the real `typescript`
/// compiler (from the package's lockfile) against a typed use of every export and event, imported by the package's
/// own name through `exports`; a check that they declare exactly what relay.js exports (and that it notices a
/// difference); `npm pack` holding exactly the package's files; the tarball installed the way the README says and
/// imported by its name.
/// </summary>
[Collection(ShippingBuildsCollection.Name)]
public sealed class NpmPackageTests
{
    private static readonly string[] PackageFiles = ["README.md", "package.json", "relay.d.ts", "relay.js"];

    [Fact]
    public async Task Declarations_compile_against_a_typed_use_match_relay_js_and_the_packed_tarball_installs_and_imports_by_name()
    {
        var npm = Tool.Find("npm", "npm");
        var node = Tool.Find("node", "nodejs");
        using var temp = new TempDirectory("npm");

        // A copy of the package folder, without what a developer may have installed or packed in it.
        var package = temp.Combine("package");
        CopyPackageFolder(Repository.PathOf("clients", "js"), package);
        var quiet = new[] { "--no-audit", "--no-fund", "--loglevel=error" };
        await Tool.RunCheckedAsync(npm, ["ci", .. quiet], package, timeout: TimeSpan.FromMinutes(3));
        var check = await Tool.RunCheckedAsync(npm, ["run", "check", "--silent"], package, timeout: TimeSpan.FromMinutes(2));
        Assert.Contains("relay.d.ts matches relay.js: 8 exports", check.Output, StringComparison.Ordinal);

        // npm pack: exactly the package's files, named after its name and the release version.
        var pack = await Tool.RunCheckedAsync(npm, ["pack", "--json", "--pack-destination", temp.Path, "--loglevel=error"], package);
        var packed = JsonDocument.Parse(pack.Output).RootElement[0];
        var version = Repository.Version;
        var tarballName = $"relay-server-client-{version}.tgz";
        Assert.Equal(tarballName, packed.GetProperty("filename").GetString());
        Assert.Equal(PackageFiles, packed.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()).Order(StringComparer.Ordinal));
        var tarball = temp.Combine(tarballName);
        var entries = ReadTarball(tarball);
        Assert.Equal(PackageFiles.Select(f => $"package/{f}"), entries.Keys.Order(StringComparer.Ordinal));

        // One source: the packed relay.js is the file the server serves at /client/relay.js.
        await using (var server = await RelayServer.StartAsync())
        {
            var served = await server.Http.GetByteArrayAsync("/client/relay.js");
            Assert.True(served.AsSpan().SequenceEqual(entries["package/relay.js"]), "the packed relay.js differs from the server's /client/relay.js");
        }

        // A user's project: `npm install <tarball>` (README), and the module imported by its name.
        var app = temp.Combine("app");
        temp.Write("app/package.json", """{ "private": true, "type": "module" }""");
        await Tool.RunCheckedAsync(npm, ["install", tarball, "--offline", .. quiet], app, timeout: TimeSpan.FromMinutes(2));
        var imported = await Tool.RunCheckedAsync(
            node,
            ["--input-type=module", "-e", "const m = await import('@relay-server/client'); console.log(Object.keys(m).sort().join(','), m.PROTOCOL_VERSION, typeof m.RelayClient);"],
            app);
        Assert.Equal("API_PATH,PROTOCOL_VERSION,RelayApi,RelayApiError,RelayClient,RelayRealtimeError,WEBSOCKET_PATH,webSocketUrl 1 function", imported.Output.Trim());

        // The export check sees a declaration relay.js does not have (type-correct, so the compiler cannot).
        var declarations = Path.Combine(package, "relay.d.ts");
        const string anchor = "    readonly closeReason: string | null;\n";
        var text = File.ReadAllText(declarations);
        Assert.Contains(anchor, text, StringComparison.Ordinal);
        File.WriteAllText(declarations, text.Replace(anchor, anchor + "    readonly roomSize: number;\n", StringComparison.Ordinal));
        var drift = await Tool.RunAsync(node, [Path.Combine(package, "test", "check-exports.mjs")], package);
        Assert.NotEqual(0, drift.ExitCode);
        Assert.Contains("RelayClient: relay.d.ts declares instance:roomSize, relay.js has no such member", drift.Error, StringComparison.Ordinal);
    }

    private static void CopyPackageFolder(string source, string target)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative.StartsWith("node_modules", StringComparison.Ordinal) || relative.EndsWith(".tgz", StringComparison.Ordinal))
            {
                continue;
            }

            var destination = Path.Combine(target, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }

    /// <summary>Every regular file of a .tgz, by path.</summary>
    private static Dictionary<string, byte[]> ReadTarball(string path)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.DataStream is { } data)
            {
                using var copy = new MemoryStream();
                data.CopyTo(copy);
                files[entry.Name] = copy.ToArray();
            }
        }

        return files;
    }
}
