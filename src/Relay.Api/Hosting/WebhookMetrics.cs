using Prometheus;
using Relay.Application.Webhooks;

namespace Relay.Api.Hosting;

/// <summary>
/// The webhook metrics (part of <see cref="PrometheusMetrics"/>): events waiting on this node, delivered, retried,
/// dropped by reason (`overflow`: the queue was full; `expired`: retries given up), the partitions of rooms this
/// cluster node delivers, and a histogram of the time from an event to its delivery.
/// </summary>
internal sealed class WebhookMetrics
{
    private readonly WebhookStats _stats;
    private readonly Gauge _queued;
    private readonly Gauge _partitions;
    private readonly Counter _delivered;
    private readonly Counter _retries;
    private readonly Counter _dropped;

    public WebhookMetrics(WebhookStats stats, IMetricFactory factory)
    {
        _stats = stats;
        _queued = factory.CreateGauge("relay_webhook_queued", "Webhook events waiting on this node (in a cluster: read from its partitions and not finished).");
        _partitions = factory.CreateGauge("relay_webhook_partitions", "Partitions of rooms whose webhook events this cluster node delivers.");
        _delivered = factory.CreateCounter("relay_webhook_delivered_total", "Webhook events the endpoint answered with 2xx.");
        _retries = factory.CreateCounter("relay_webhook_retries_total", "Webhook attempts that failed and were retried.");
        _dropped = factory.CreateCounter("relay_webhook_dropped_total", "Webhook events dropped, by reason (overflow: queue full; expired: retries given up).", ["reason"]);
        foreach (var reason in WebhookStats.DropReasons)
        {
            _dropped.WithLabels(reason);
        }

        var latency = factory.CreateHistogram("relay_webhook_delivery_seconds", "Time from a webhook event to its delivery.",
            new HistogramConfiguration { Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] });
        stats.LatencyObserver = latency.Observe;
    }

    public void Update()
    {
        _queued.Set(_stats.Queued);
        _partitions.Set(_stats.Partitions);
        _delivered.IncTo(_stats.Delivered);
        _retries.IncTo(_stats.Retries);
        foreach (var (reason, count) in _stats.Dropped)
        {
            _dropped.WithLabels(reason).IncTo(count);
        }
    }
}
