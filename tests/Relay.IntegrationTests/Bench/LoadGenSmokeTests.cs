using Relay.IntegrationTests.Hardening;
using Relay.IntegrationTests.Infrastructure;
using Relay.LoadGen;
using Relay.LoadGen.Reporting;
using Relay.LoadGen.Targets;
using Relay.LoadGen.Workloads;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Bench;

/// <summary>
/// The benchmark's load generator, in process, for about a second per mode against a real server: a W1-style
/// fan-out step whose every broadcast is delivered, timed and free of errors. Keeps bench/ building and working
/// in CI without running the benchmark itself.
/// </summary>
[Collection(SoloCollection.Name)]
public sealed class LoadGenSmokeTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_short_fan_out_run_delivers_every_message_without_errors(bool binary)
    {
        await using var server = await RelayServer.StartAsync(
            ("Relay:RateLimit:MessagesPerSecond", "1000000"),
            ("Relay:RateLimit:Burst", "1000000"));
        await using var target = new RelayTarget("relay", server.BaseAddress);
        var options = new WorkloadOptions
        {
            Rooms = 5,
            ClientsPerRoom = 4,
            Rates = [20],
            PayloadBytes = 64,
            Binary = binary,
            Prime = TimeSpan.Zero,
            WarmUp = TimeSpan.FromSeconds(0.3),
            Duration = TimeSpan.FromSeconds(1),
            StopAtLimit = false,
            ServerPid = Environment.ProcessId,
        };
        var log = new StringWriter();

        var result = await new FanOutWorkload().RunAsync(target, options, log, CancellationToken.None);

        output.WriteLine(log.ToString());
        Assert.Null(result.Failure);
        var step = Assert.Single(result.Steps!);
        Assert.True(step.Delivered > 0, "nothing was delivered");
        Assert.Equal(step.Expected, step.Delivered);
        Assert.Equal(0, step.Errors);
        Assert.Equal(step.Delivered, step.Latency.Count);
        Assert.True(step.Latency.P50Ms > 0);
        Assert.True(step.Server.RssMiB > 0, "the process sampler read no resident memory");

        var markdown = Report.Markdown(new ResultsDocument { Runs = [result] }, chartFile: null, sourceName: null);
        Assert.Contains("W1 sustainable delivered msgs/s", markdown, StringComparison.Ordinal);
    }
}
