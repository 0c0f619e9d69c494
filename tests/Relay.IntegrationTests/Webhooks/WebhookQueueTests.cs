using System.Globalization;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Webhooks;

/// <summary>A single node's webhook queue: its bound, the events it gives up, and its metrics (Scope=node: one node's /metrics).</summary>
public sealed class WebhookQueueTests
{
    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(30);

    [Fact]
    [Trait("Scope", "node")]
    public async Task Events_past_the_queue_bound_are_dropped_and_counted_and_the_rest_arrive()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Answer = _ => release.Task;
        await using var server = await RelayServer.StartAsync(receiver.Settings(("Relay:Webhooks:MaxQueuedEvents", "3")));

        // One room.created in flight (held) and two waiting fill the queue; the next three are dropped.
        var rooms = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            rooms.Add((await server.Api.CreateRoomAsync()).Id);
            if (i == 0)
            {
                await receiver.WaitAsync(_ => receiver.Attempts.Count == 1, Arrival, "the first event in flight");
            }
        }

        Assert.Equal(3, await MetricAsync(server, "relay_webhook_dropped_total{reason=\"overflow\"}"));
        Assert.Equal(3, await MetricAsync(server, "relay_webhook_queued"));

        release.SetResult(200);
        await receiver.WaitAsync(events => events.Count >= 3, Arrival, "the three queued events");
        Assert.Equal(rooms.Take(3).Order(), receiver.Events.Select(e => e.RoomId).Order());
        await Eventually(async () => await MetricAsync(server, "relay_webhook_queued") == 0, "the queue empty");
        Assert.Equal(3, await MetricAsync(server, "relay_webhook_delivered_total"));
        Assert.Equal(3, receiver.Events.Count);
    }

    [Fact]
    [Trait("Scope", "node")]
    public async Task An_event_that_keeps_failing_is_given_up_after_the_retry_period_and_counted()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = _ => Task.FromResult(500);
        await using var server = await RelayServer.StartAsync(receiver.Settings(("Relay:Webhooks:RetryForSeconds", "2")));

        await server.Api.CreateRoomAsync();

        await Eventually(async () => await MetricAsync(server, "relay_webhook_dropped_total{reason=\"expired\"}") == 1, "the event given up");
        var attempts = receiver.Attempts.Count;
        Assert.True(attempts is 2 or 3, $"{attempts} attempts in 2 s (at 0 s, 1 s and no retry after 2 s)");
        Assert.True(await MetricAsync(server, "relay_webhook_retries_total") >= 1);
        Assert.Equal(0, await MetricAsync(server, "relay_webhook_delivered_total"));
        Assert.Equal(0, await MetricAsync(server, "relay_webhook_queued"));
    }

    [Fact]
    [Trait("Scope", "node")]
    public async Task The_webhook_metrics_are_exported_from_the_start()
    {
        await using var server = await RelayServer.StartAsync();

        var text = await server.Http.GetStringAsync("/metrics");

        foreach (var name in new[] { "relay_webhook_queued", "relay_webhook_delivered_total", "relay_webhook_retries_total", "relay_webhook_dropped_total{reason=\"overflow\"}", "relay_webhook_dropped_total{reason=\"expired\"}", "relay_webhook_delivery_seconds_count" })
        {
            Assert.Contains("\n" + name + " ", text, StringComparison.Ordinal);
        }
    }

    internal static async Task<double> MetricAsync(RelayServer server, string series)
    {
        var text = await server.Http.GetStringAsync("/metrics");
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }

        throw new Xunit.Sdk.XunitException($"no series {series} in /metrics");
    }

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < Arrival, $"{what}: not within {Arrival.TotalSeconds} s");
            await Task.Delay(100);
        }
    }
}
