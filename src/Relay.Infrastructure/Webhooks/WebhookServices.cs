using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Relay.Application.Common.Options;
using Relay.Application.Webhooks;
using Relay.Infrastructure.Backplanes.Redis;

namespace Relay.Infrastructure.Webhooks;

public static class WebhookServices
{
    /// <summary>
    /// Registers webhook delivery when `Relay:Webhooks:Url` is set: the payloads, the signed and retried HTTP client,
    /// the dispatcher, and where the events come from — the in-memory backplane's commits on a single node
    /// (<see cref="LocalWebhooks"/>), the Redis streams of the partitions this node holds in a cluster
    /// (<see cref="WebhookPartitions"/>). The stats are registered either way (the metrics show them at 0).
    /// </summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration, bool cluster)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton<WebhookStats>();
        if (string.IsNullOrWhiteSpace(configuration[$"{RelayOptions.SectionName}:Webhooks:Url"]))
        {
            return services;
        }

        services.AddSingleton<WebhookPayloads>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddWebhookHttp();

        // Stopped in reverse order: the partitions are handed over first, then the queue drains.
        services.AddHostedService<WebhookDelivery>();
        if (cluster)
        {
            services.AddHostedService<WebhookPartitions>();
        }
        else
        {
            services.AddSingleton<LocalWebhooks>();
        }

        return services;
    }
}
