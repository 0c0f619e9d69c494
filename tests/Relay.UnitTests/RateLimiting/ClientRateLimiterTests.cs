using Microsoft.Extensions.Time.Testing;
using Relay.Application.Common.Options;
using Relay.Application.Realtime.RateLimiting;

namespace Relay.UnitTests.RateLimiting;

/// <summary>The per-connection token bucket, driven by a clock that moves only when the test says so.</summary>
public sealed class ClientRateLimiterTests
{
    private static ClientRateLimiter Limiter(FakeTimeProvider clock, int messagesPerSecond, int burst) =>
        new(new RateLimitOptions { MessagesPerSecond = messagesPerSecond, Burst = burst }, clock);

    private static RateDecision[] Take(ClientRateLimiter limiter, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => limiter.TryAcquire())];

    [Fact]
    public void A_full_bucket_allows_exactly_Burst_messages_at_once()
    {
        var limiter = Limiter(new FakeTimeProvider(), messagesPerSecond: 10, burst: 7);

        Assert.Equal([.. Enumerable.Repeat(RateDecision.Allowed, 7), RateDecision.Limited], Take(limiter, 8));
    }

    [Fact]
    public void Tokens_refill_at_MessagesPerSecond_including_fractions_of_a_token()
    {
        var clock = new FakeTimeProvider();
        var limiter = Limiter(clock, messagesPerSecond: 10, burst: 5);
        Take(limiter, 5);
        Assert.Equal(RateDecision.Limited, limiter.TryAcquire());

        // 10 per second: 99 ms is not yet a token, 1 ms more completes it.
        clock.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Equal(RateDecision.Limited, limiter.TryAcquire());
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(RateDecision.Allowed, limiter.TryAcquire());
        Assert.Equal(RateDecision.Limited, limiter.TryAcquire());

        // 350 ms: three tokens and half of the next, which the following 50 ms complete.
        clock.Advance(TimeSpan.FromMilliseconds(350));
        Assert.Equal([RateDecision.Allowed, RateDecision.Allowed, RateDecision.Allowed, RateDecision.Limited], Take(limiter, 4));
        clock.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal([RateDecision.Allowed, RateDecision.Limited], Take(limiter, 2));
    }

    [Fact]
    public void A_long_pause_fills_the_bucket_to_Burst_and_no_further()
    {
        var clock = new FakeTimeProvider();
        var limiter = Limiter(clock, messagesPerSecond: 100, burst: 3);
        Take(limiter, 3);

        clock.Advance(TimeSpan.FromHours(1));

        Assert.Equal([RateDecision.Allowed, RateDecision.Allowed, RateDecision.Allowed, RateDecision.Limited], Take(limiter, 4));
    }

    [Fact]
    public void More_than_Burst_refusals_in_a_row_are_abusive_and_a_message_let_through_resets_the_count()
    {
        var clock = new FakeTimeProvider();
        var limiter = Limiter(clock, messagesPerSecond: 1, burst: 2);
        Take(limiter, 2);

        Assert.Equal([RateDecision.Limited, RateDecision.Limited], Take(limiter, 2));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(RateDecision.Allowed, limiter.TryAcquire());

        // Counted again from zero: Burst refusals are answered, the one after is abuse.
        Assert.Equal([RateDecision.Limited, RateDecision.Limited, RateDecision.Abusive], Take(limiter, 3));
        Assert.Equal(RateDecision.Abusive, limiter.TryAcquire());
    }
}
