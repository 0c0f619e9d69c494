namespace Relay.Application.Common.Options;

/// <summary>`Relay:Webhooks:*`: where the server sends the events of its rooms, signed (Standard Webhooks), and how hard it tries.</summary>
public sealed class WebhookOptions
{
    /// <summary>The absolute http or https URL that receives every event as a POST; none turns webhooks off.</summary>
    public string? Url { get; set; }

    /// <summary>`whsec_` followed by base64 of at least 24 random bytes; required when <see cref="Url"/> is set.</summary>
    public string? Secret { get; set; }

    /// <summary>The event types to send; empty sends all.</summary>
    public IList<string> Events { get; init; } = [];

    /// <summary>How long one attempt may take.</summary>
    public double TimeoutSeconds { get; set; } = 5;

    /// <summary>Retries stop this long after an event's first attempt; then the event is dropped and counted.</summary>
    public double RetryForSeconds { get; set; } = 300;

    /// <summary>
    /// The most events waiting to be delivered: on a single node, in its queue; in a cluster, in each of the shared
    /// queues in Redis (one per partition of rooms). An event that finds the queue full is dropped and counted.
    /// </summary>
    public int MaxQueuedEvents { get; set; } = 10_000;

    /// <summary>True when webhooks are configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Url);
}
