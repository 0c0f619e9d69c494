using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;
using Relay.Application.Common.Options;
using Relay.Application.Webhooks;

namespace Relay.Infrastructure.Webhooks;

/// <summary>What became of one event.</summary>
public enum DeliveryOutcome
{
    /// <summary>The endpoint answered 2xx.</summary>
    Delivered,

    /// <summary>Every attempt failed until `Relay:Webhooks:RetryForSeconds` had passed: dropped and counted.</summary>
    GaveUp,

    /// <summary>Stopped before an answer (the node stops, or it no longer delivers the event's partition): not finished.</summary>
    Cancelled,
}

/// <summary>
/// Sends one event to `Relay:Webhooks:Url` through the named <see cref="HttpClient"/> of <see cref="WebhookHttp"/>,
/// whose resilience pipeline (Polly) retries with exponential backoff until `RetryForSeconds` has passed and bounds
/// each attempt by `TimeoutSeconds`; each attempt is signed afresh (<see cref="WebhookSigningHandler"/>). The first
/// failure is logged once, and so is the recovery; no event, secret or signature is ever logged.
/// </summary>
public sealed partial class WebhookSender(IHttpClientFactory factory, IOptions<RelayOptions> options, WebhookStats stats, TimeProvider timeProvider, ILogger<WebhookSender> logger)
{
    private readonly Uri _url = new(options.Value.Webhooks.Url ?? "http://127.0.0.1/", UriKind.Absolute);
    private readonly TimeSpan _retryFor = TimeSpan.FromSeconds(options.Value.Webhooks.RetryForSeconds);
    private int _failing;

    public async Task<DeliveryOutcome> SendAsync(WebhookEvent e, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(e);
        var body = WebhookPayloads.Body(e);
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(WebhookHeaders.Id, e.Id);
        request.Options.Set(WebhookSigningHandler.Body, body);
        request.Options.Set(WebhookSigningHandler.EventId, e.Id);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(WebhookHttp.RetryUntil, timeProvider.GetUtcNow() + _retryFor);
        context.Properties.Set(WebhookHttp.Sender, this);
        request.SetResilienceContext(context);
        try
        {
            using var response = await factory.CreateClient(WebhookHttp.ClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                stats.RecordDelivered(timeProvider.GetUtcNow() - e.Timestamp);
                return DeliveryOutcome.Delivered;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return DeliveryOutcome.Cancelled;
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or OperationCanceledException or IOException)
        {
            // The last attempt failed too: reported below.
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        stats.RecordExpired();
        return DeliveryOutcome.GaveUp;
    }

    /// <summary>An attempt answered 2xx: the endpoint works (logged once after a failure).</summary>
    internal void NoteSuccess()
    {
        if (Interlocked.Exchange(ref _failing, 0) == 1)
        {
            LogRecovered(logger, _url.Host);
        }
    }

    /// <summary>An attempt failed: logged the first time only, until an attempt succeeds again.</summary>
    internal void NoteFailure(string what)
    {
        if (Interlocked.Exchange(ref _failing, 1) == 0)
        {
            LogFailing(logger, _url.Host, what);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook endpoint on {Host} is failing ({What}); events are retried with backoff (logged once until it answers again)")]
    private static partial void LogFailing(ILogger logger, string host, string what);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook endpoint on {Host} answers again")]
    private static partial void LogRecovered(ILogger logger, string host);
}

/// <summary>The Standard Webhooks header names.</summary>
public static class WebhookHeaders
{
    public const string Id = "webhook-id";
    public const string Timestamp = "webhook-timestamp";
    public const string Signature = "webhook-signature";
}

/// <summary>
/// Signs each attempt (it sits inside the retry): `webhook-timestamp` is the time of this attempt, and the signature
/// covers it, so a receiver that checks the timestamp's age accepts a late retry too.
/// </summary>
public sealed class WebhookSigningHandler(IOptions<RelayOptions> options, TimeProvider timeProvider) : DelegatingHandler
{
    internal static readonly HttpRequestOptionsKey<byte[]> Body = new("relay.webhook.body");
    internal static readonly HttpRequestOptionsKey<string> EventId = new("relay.webhook.id");

    private readonly byte[] _key = WebhookSignature.TryDecodeSecret(options.Value.Webhooks.Secret ?? string.Empty, out var key) ? key : [];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Options.TryGetValue(Body, out var body) && request.Options.TryGetValue(EventId, out var id))
        {
            var timestamp = timeProvider.GetUtcNow().ToUnixTimeSeconds();
            request.Headers.Remove(WebhookHeaders.Timestamp);
            request.Headers.Remove(WebhookHeaders.Signature);
            request.Headers.TryAddWithoutValidation(WebhookHeaders.Timestamp, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation(WebhookHeaders.Signature, WebhookSignature.Sign(_key, id, timestamp, body));
        }

        return base.SendAsync(request, cancellationToken);
    }
}
