using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Relay.Application.Common.Options;

namespace Relay.Infrastructure.Webhooks;

/// <summary>
/// The webhook <see cref="HttpClient"/> (IHttpClientFactory) and its resilience pipeline, outermost first: retry
/// (exponential, 1 s doubling, at most 60 s between attempts, no retry that would start after `RetryForSeconds`),
/// a concurrency limit (so that many rooms' events do not open unbounded connections), the per-attempt timeout
/// (`TimeoutSeconds`), then the signing handler. Any answer but 2xx, any transport error and a timeout are retried.
/// </summary>
internal static class WebhookHttp
{
    public const string ClientName = "relay-webhooks";

    /// <summary>At most this many attempts are in flight at once (each room has at most one).</summary>
    public const int MaxConcurrentAttempts = 64;

    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(60);

    /// <summary>When no retry may start any more (the first attempt plus `RetryForSeconds`).</summary>
    public static readonly ResiliencePropertyKey<DateTimeOffset> RetryUntil = new("relay.webhook.retry-until");

    /// <summary>The sender that notes failures and recoveries.</summary>
    public static readonly ResiliencePropertyKey<WebhookSender> Sender = new("relay.webhook.sender");

    public static IServiceCollection AddWebhookHttp(this IServiceCollection services)
    {
        services.AddTransient<WebhookSigningHandler>();
        var client = services.AddHttpClient(ClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                ConnectTimeout = TimeSpan.FromSeconds(Options(sp).TimeoutSeconds),
            });
        client.AddResilienceHandler("webhooks", (builder, context) =>
        {
            var options = Options(context.ServiceProvider);
            var time = context.ServiceProvider.GetRequiredService<TimeProvider>();
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                Delay = FirstDelay,
                MaxDelay = MaxDelay,
                UseJitter = false,
                ShouldRetryAfterHeader = false,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args, time)),
                OnRetry = _ =>
                {
                    context.ServiceProvider.GetRequiredService<Application.Webhooks.WebhookStats>().RecordRetry();
                    return default;
                },
            });
            builder.AddConcurrencyLimiter(MaxConcurrentAttempts, int.MaxValue);
            builder.AddTimeout(TimeSpan.FromSeconds(options.TimeoutSeconds));
        });
        client.AddHttpMessageHandler<WebhookSigningHandler>();
        return services;
    }

    private static WebhookOptions Options(IServiceProvider services) =>
        services.GetRequiredService<IOptions<RelayOptions>>().Value.Webhooks;

    /// <summary>The delay before the retry after attempt <paramref name="attempt"/> (0: the first): 1 s, 2 s, 4 s, ... at most 60 s.</summary>
    public static TimeSpan DelayAfter(int attempt) =>
        attempt >= 6 ? MaxDelay : TimeSpan.FromTicks(Math.Min(FirstDelay.Ticks << attempt, MaxDelay.Ticks));

    private static bool ShouldRetry(RetryPredicateArguments<HttpResponseMessage> args, TimeProvider time)
    {
        var outcome = args.Outcome;
        var sender = args.Context.Properties.TryGetValue(Sender, out var s) ? s : null;
        if (outcome.Result is { IsSuccessStatusCode: true })
        {
            sender?.NoteSuccess();
            return false;
        }

        if (outcome.Exception is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        sender?.NoteFailure(outcome.Result is { } response
            ? "HTTP " + ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : outcome.Exception is TimeoutRejectedException ? "no answer in time" : outcome.Exception?.GetType().Name ?? "no answer");
        var until = args.Context.Properties.TryGetValue(RetryUntil, out var u) ? u : DateTimeOffset.MinValue;
        return time.GetUtcNow() + DelayAfter(args.AttemptNumber) <= until;
    }
}
