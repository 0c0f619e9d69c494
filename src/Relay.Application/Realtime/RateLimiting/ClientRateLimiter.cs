using Relay.Application.Common.Options;

namespace Relay.Application.Realtime.RateLimiting;

/// <summary>What the rate limiter says of one incoming message.</summary>
public enum RateDecision
{
    /// <summary>Within the rate: handle it.</summary>
    Allowed,

    /// <summary>Over the rate: answer `rate_limited` and do not relay it.</summary>
    Limited,

    /// <summary>Still sending after more than a burst of refusals in a row: close with 1008.</summary>
    Abusive,
}

/// <summary>
/// A per-connection token bucket (`Relay:RateLimit:MessagesPerSecond`, `Relay:RateLimit:Burst`). Every client
/// message costs one token. A client refused more than <c>Burst</c> times in a row without a message getting
/// through is abusive. Used by one read loop at a time: not thread-safe, and needs no lock.
/// </summary>
public sealed class ClientRateLimiter
{
    private readonly TimeProvider _timeProvider;
    private readonly double _tokensPerTick;
    private readonly double _burst;
    private double _tokens;
    private long _lastRefill;
    private int _refusalsInARow;

    public ClientRateLimiter(RateLimitOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _tokensPerTick = (double)options.MessagesPerSecond / timeProvider.TimestampFrequency;
        _burst = options.Burst;
        _tokens = options.Burst;
        _lastRefill = timeProvider.GetTimestamp();
    }

    public RateDecision TryAcquire()
    {
        var now = _timeProvider.GetTimestamp();
        _tokens = Math.Min(_burst, _tokens + ((now - _lastRefill) * _tokensPerTick));
        _lastRefill = now;
        if (_tokens >= 1)
        {
            _tokens -= 1;
            _refusalsInARow = 0;
            return RateDecision.Allowed;
        }

        return ++_refusalsInARow > _burst ? RateDecision.Abusive : RateDecision.Limited;
    }
}
