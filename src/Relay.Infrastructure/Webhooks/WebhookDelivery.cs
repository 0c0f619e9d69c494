using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Relay.Infrastructure.Webhooks;

/// <summary>
/// Stops webhook delivery with the node: it stops after the rooms are closed (hosted services stop in reverse order,
/// and this one is registered before the shutdown of the rooms), gives the queue a few seconds to drain — the
/// `room.closed` events of a single node's shutdown among them — and aborts the rest.
/// </summary>
public sealed partial class WebhookDelivery(WebhookDispatcher dispatcher, ILogger<WebhookDelivery> logger) : IHostedService
{
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(5);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!await dispatcher.DrainAsync(Drain))
        {
            LogUndelivered(logger, dispatcher.Count);
        }

        dispatcher.Stop();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping with {Count} webhook events not delivered")]
    private static partial void LogUndelivered(ILogger logger, int count);
}
