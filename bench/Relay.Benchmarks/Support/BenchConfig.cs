using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;

namespace Relay.Benchmarks.Support;

/// <summary>
/// The configuration every run uses: allocations are measured, the per-recipient columns are added and
/// artifacts go to the gitignored <c>bench/.artifacts/bdn</c> (<c>--artifacts DIR</c> overrides it).
/// </summary>
public static class BenchConfig
{
    private static readonly string[] InProcessSwitches = ["-i", "--inProcess"];

    public static IConfig Create() =>
        ManualConfig.Create(DefaultConfig.Instance)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(PerRecipientColumn.Time, PerRecipientColumn.AllocationSlope)
            .WithArtifactsPath(DefaultArtifactsPath());

    /// <summary>
    /// Adds <c>--inProcess</c> to the command line: benchmarks run in this process with the in-process emit
    /// toolchain, so BenchmarkDotNet never generates and builds a second project (which would race other
    /// builds of the repository). Done through the command line rather than a job in the config so that
    /// <c>--job short</c> and the other job options shape that one in-process job instead of adding a second.
    /// </summary>
    public static string[] InProcess(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return args.Any(a => InProcessSwitches.Contains(a, StringComparer.OrdinalIgnoreCase)) ? args : [.. args, "--inProcess"];
    }

    /// <summary><c>bench/.artifacts/bdn</c> under the repository root (found from the working or the binary's directory).</summary>
    private static string DefaultArtifactsPath()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Relay.sln")))
                {
                    return Path.Combine(dir.FullName, "bench", ".artifacts", "bdn");
                }
            }
        }

        return Path.Combine(Directory.GetCurrentDirectory(), "BenchmarkDotNet.Artifacts");
    }
}
