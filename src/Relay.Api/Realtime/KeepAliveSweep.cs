using Microsoft.Extensions.Options;
using Relay.Api.Configuration;

namespace Relay.Api.Realtime;

/// <summary>
/// The keep-alive of every connection, on one timer: a few times per `Relay:KeepAliveSeconds` interval (at most
/// once a second) it walks the open connections and pings the silent ones or drops the dead ones
/// (<see cref="WebSocketTransport.CheckKeepAlive"/>). One timer for the whole server, rather than one per
/// WebSocket ticking several times per interval, is what lets thousands of idle connections cost next to no CPU.
/// `Relay:KeepAliveSeconds=0` turns it off. It keeps real time (<see cref="Clock"/>), not the server's
/// <see cref="TimeProvider"/>: it watches the network, and a test that moves the server's clock to drive the
/// protocol's timers (rate limits, connect and resume windows) has not made any peer silent.
/// </summary>
internal sealed class KeepAliveSweep(ConnectionRegistry connections, IOptions<ApiOptions> options)
    : IHostedService, IDisposable
{
    /// <summary>The clock of the keep-alive: of the sweep, and of when each connection last received a byte.</summary>
    public static TimeProvider Clock => TimeProvider.System;

    private readonly TimeSpan _interval = TimeSpan.FromSeconds(options.Value.KeepAliveSeconds);
    private ITimer? _timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_interval > TimeSpan.Zero)
        {
            var period = TimeSpan.FromTicks(Math.Clamp(_interval.Ticks / 4, TimeSpan.TicksPerMillisecond * 100, TimeSpan.TicksPerSecond));
            _timer = Clock.CreateTimer(static state => ((KeepAliveSweep)state!).Sweep(), this, period, period);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _timer?.Dispose();

    private void Sweep() => connections.CheckKeepAlive(Clock.GetTimestamp(), _interval);
}
