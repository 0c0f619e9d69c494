namespace Relay.Client.Tests;

/// <summary>Option validation and the backoff schedule (no server needed).</summary>
public sealed class OptionsTests
{
    [Fact]
    public void Backoff_grows_exponentially_within_the_jitter_and_is_capped()
    {
        var options = new RelayReconnectOptions
        {
            InitialDelay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromMilliseconds(1000),
            BackoffMultiplier = 2,
            Jitter = 0.5,
        };

        for (var i = 0; i < 50; i++)
        {
            Assert.InRange(options.GetDelay(1).TotalMilliseconds, 50, 100);
            Assert.InRange(options.GetDelay(3).TotalMilliseconds, 200, 400);
            Assert.InRange(options.GetDelay(10).TotalMilliseconds, 500, 1000);
            Assert.InRange(options.GetDelay(1000).TotalMilliseconds, 500, 1000);
        }

        options.Jitter = 0;
        Assert.Equal(TimeSpan.FromMilliseconds(800), options.GetDelay(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => options.GetDelay(0));
    }

    [Fact]
    public void Invalid_options_are_refused_when_the_client_is_created()
    {
        static RelayRealtimeOptions Valid() => new() { ServerUri = new Uri("http://localhost:8080"), RoomId = "room", Secret = "secret-123" };

        Assert.Throws<ArgumentException>(() => new RelayRealtimeClient(new RelayRealtimeOptions { ServerUri = new Uri("http://localhost:8080"), RoomId = "", Secret = "x" }));
        Assert.Throws<ArgumentException>(() => new RelayRealtimeClient(new RelayRealtimeOptions { ServerUri = new Uri("ftp://localhost"), RoomId = "r", Secret = "x" }));
        var badTimeout = Valid();
        badTimeout.ConnectTimeout = TimeSpan.Zero;
        Assert.Throws<ArgumentOutOfRangeException>(() => new RelayRealtimeClient(badTimeout));
        var badJitter = Valid();
        badJitter.Reconnect = new RelayReconnectOptions { Jitter = 2 };
        Assert.Throws<ArgumentOutOfRangeException>(() => new RelayRealtimeClient(badJitter));
        var badAttempts = Valid();
        badAttempts.Reconnect = new RelayReconnectOptions { MaxAttempts = 0 };
        Assert.Throws<ArgumentOutOfRangeException>(() => new RelayRealtimeClient(badAttempts));
        Assert.Throws<ArgumentException>(() => new RelayApiClient(new HttpClient()));
    }

    [Fact]
    public async Task A_client_closed_before_connecting_completes_as_closed_by_client()
    {
        await using var client = new RelayRealtimeClient(new RelayRealtimeOptions { ServerUri = new Uri("http://127.0.0.1:9"), RoomId = "r", Secret = "secret-123" });
        await client.CloseAsync();

        Assert.Equal(RelayConnectionState.Closed, client.State);
        Assert.Equal(RelayCloseReason.ClosedByClient, (await client.Completion).Reason);
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.ConnectAsync());
        await Assert.ThrowsAsync<RelayRealtimeException>(() => client.PingAsync());
    }
}
