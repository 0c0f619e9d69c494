using Microsoft.Extensions.Logging;
using Relay.Application.Abstractions;
using StackExchange.Redis;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>
/// The node's connection to Redis and the one place every call goes through: each call has the time budget
/// (`Relay:Redis:TimeoutSeconds`) and every way it can fail — no connection (commands are never queued while
/// disconnected), a Redis error, a timeout (which StackExchange.Redis reports as a <see cref="TimeoutException"/>, not a
/// <see cref="RedisException"/>) — becomes a <see cref="RoomStoreUnavailableException"/>. Readiness follows a probe
/// answered within the budget, not just the socket. It also estimates Redis' clock, so that a change can carry a
/// deadline Redis checks: a change that reaches Redis after its caller gave up is refused there, never a late success.
/// </summary>
internal sealed partial class RedisConnection(RedisOptions options, string nodeId, TimeProvider timeProvider, ILogger logger) : IAsyncDisposable
{
    private readonly TimeSpan _budget = TimeSpan.FromSeconds(options.TimeoutSeconds);
    private ConnectionMultiplexer? _redis;
    private volatile bool _healthy;
    private long _clockOffsetMs;
    private int _failureLogged;

    /// <summary>Raised (on a pool thread) when the interactive connection is back after a failure.</summary>
    public event Action? Restored;

    /// <summary>Raised (on a pool thread) when the subscription connection is back: what it carried meanwhile was lost.</summary>
    public event Action? SubscriptionRestored;

    public TimeSpan Budget => _budget;

    /// <summary>Connected, and the last probe was answered within the budget.</summary>
    public bool IsAvailable => _healthy && _redis is { IsConnected: true };

    public ISubscriber Subscriber => (_redis ?? throw Unavailable("Redis is not connected yet.")).GetSubscriber();

    private IDatabase Database => (_redis ?? throw Unavailable("Redis is not connected yet.")).GetDatabase();

    public async Task ConnectAsync()
    {
        var configuration = ConfigurationOptions.Parse(options.ConnectionString);
        configuration.AbortOnConnectFail = false;

        // Never queue commands while disconnected: a caller gets `unavailable` now, not a late answer.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;

        // Reconnect on a short fixed schedule, so that after an outage the nodes come back close together.
        configuration.ReconnectRetryPolicy = new LinearRetry(500);
        var budgetMs = (int)Math.Ceiling(_budget.TotalMilliseconds);
        configuration.AsyncTimeout = Math.Min(configuration.AsyncTimeout, budgetMs);
        configuration.SyncTimeout = Math.Min(configuration.SyncTimeout, budgetMs);
        configuration.ConnectTimeout = Math.Min(configuration.ConnectTimeout, Math.Max(budgetMs, 1000));
        configuration.ClientName = "relay-" + nodeId;
        _redis = await ConnectionMultiplexer.ConnectAsync(configuration);
        _redis.ConnectionFailed += (_, e) =>
        {
            // The subscription connection failing costs the rooms' channels (repaired when it is back), not the store.
            if (e.ConnectionType != ConnectionType.Subscription)
            {
                _healthy = false;
            }

            if (Interlocked.Exchange(ref _failureLogged, 1) == 0)
            {
                LogConnectionFailed(logger, e.EndPoint?.ToString() ?? "?", e.ConnectionType.ToString(), e.FailureType.ToString());
            }
        };
        _redis.ConnectionRestored += (_, e) =>
        {
            LogConnectionRestored(logger, e.EndPoint?.ToString() ?? "?", e.ConnectionType.ToString());
            Interlocked.Exchange(ref _failureLogged, 0);
            if (e.ConnectionType == ConnectionType.Subscription)
            {
                Task.Run(() => SubscriptionRestored?.Invoke());
            }
            else
            {
                Task.Run(() => Restored?.Invoke());
            }
        };
        await ProbeAsync();
    }

    /// <summary>Asks Redis for its time within the budget: readiness, and the clock estimate for deadlines.</summary>
    public async Task<bool> ProbeAsync()
    {
        try
        {
            var sent = timeProvider.GetUtcNow();
            var time = await RunAsync(db => db.ExecuteAsync("TIME"), probe: true);
            var parts = (RedisResult[])time!;
            var redisMs = (long.Parse(parts[0].ToString(), System.Globalization.CultureInfo.InvariantCulture) * 1000)
                + (long.Parse(parts[1].ToString(), System.Globalization.CultureInfo.InvariantCulture) / 1000);
            var received = timeProvider.GetUtcNow();
            var localMs = (sent + ((received - sent) / 2)).ToUnixTimeMilliseconds();
            Interlocked.Exchange(ref _clockOffsetMs, redisMs - localMs);
            var wasHealthy = _healthy;
            _healthy = true;
            if (!wasHealthy)
            {
                LogReady(logger);
            }

            return true;
        }
        catch (RoomStoreUnavailableException e)
        {
            if (_healthy)
            {
                LogProbeFailed(logger, e.Message);
            }

            _healthy = false;
            return false;
        }
    }

    /// <summary>Redis' clock now plus the budget, in ms: the deadline a change carries.</summary>
    public long Deadline() => timeProvider.GetUtcNow().ToUnixTimeMilliseconds() + Interlocked.Read(ref _clockOffsetMs) + (long)_budget.TotalMilliseconds;

    /// <summary>
    /// Runs one call within the budget; any failure is a <see cref="RoomStoreUnavailableException"/>. While the last
    /// probe failed, calls are refused at once (only the <paramref name="probe"/> itself goes through), so that a
    /// stalled Redis costs each caller nothing but the answer `unavailable`.
    /// </summary>
    /// <param name="call">The call.</param>
    /// <param name="probe">The readiness probe itself.</param>
    /// <param name="wait">How long to wait for the answer, when it must be longer than the budget (a call fenced by a
    /// deadline of now plus the budget waits a little longer, so that it is never refused here and done there).</param>
    public async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> call, bool probe = false, TimeSpan? wait = null)
    {
        if (_redis is not { IsConnected: true })
        {
            throw Unavailable("Redis is not connected.");
        }

        if (!probe && !_healthy)
        {
            throw Unavailable("Redis did not answer the last probe.");
        }

        try
        {
            return await call(Database).WaitAsync(wait ?? _budget, timeProvider);
        }
        catch (TimeoutException e)
        {
            // RedisTimeoutException is a TimeoutException too: a stall, a black hole, or a slow command. Readiness is
            // the probe's to decide (one slow answer on a busy machine is not an outage).
            throw Unavailable("Redis did not answer within " + _budget.TotalSeconds + " s.", e);
        }
        catch (RedisException e)
        {
            throw Unavailable("Redis is unavailable: " + e.Message, e);
        }
    }

    /// <summary>Subscribes within the budget; the queue delivers the channel's messages in order.</summary>
    public Task<ChannelMessageQueue> SubscribeAsync(RedisChannel channel) => RunAsync(_ => Subscriber.SubscribeAsync(channel));

    /// <summary>Publishes without waiting for the answer (a relay: it is lost with the connection, and counted by the receivers).</summary>
    public bool TryPublish(RedisChannel channel, ReadOnlyMemory<byte> message)
    {
        if (!IsAvailable)
        {
            return false;
        }

        try
        {
            Subscriber.Publish(channel, message, CommandFlags.FireAndForget);
            return true;
        }
        catch (RedisException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    private static RoomStoreUnavailableException Unavailable(string message, Exception? inner = null) => new(message, inner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis connection to {EndPoint} ({Connection}) failed: {Failure}; this node is not ready until it is back")]
    private static partial void LogConnectionFailed(ILogger logger, string endPoint, string connection, string failure);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis connection to {EndPoint} ({Connection}) restored: resynchronising rooms")]
    private static partial void LogConnectionRestored(ILogger logger, string endPoint, string connection);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis did not answer the readiness probe: {Error}; this node is not ready")]
    private static partial void LogProbeFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis answers again: this node is ready")]
    private static partial void LogReady(ILogger logger);
}
