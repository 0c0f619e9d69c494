using System.Net.WebSockets;

namespace Relay.Client;

/// <summary>Settings of a <see cref="RelayRealtimeClient"/>.</summary>
public sealed class RelayRealtimeOptions
{
    /// <summary>
    /// The server's address: <c>http://host:port</c>, <c>https://...</c>, or the WebSocket endpoint itself
    /// (<c>ws://host:port/v1/websocket</c>). A path prefix (behind a proxy) is kept.
    /// </summary>
    public required Uri ServerUri { get; set; }

    /// <summary>The room to join (not needed with <see cref="Token"/>, which names the room).</summary>
    public string? RoomId { get; set; }

    /// <summary>The room's secret, or its host secret to become host; or give a <see cref="Token"/> instead.</summary>
    public string? Secret { get; set; }

    /// <summary>
    /// A client token minted by the backend (<see cref="RelayTokens.Create"/>), sent instead of <see cref="RoomId"/> and
    /// <see cref="Secret"/>: the server joins the room the token names, under its name and user id. Reconnects present
    /// the same token, so it must still be valid then.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>The name shown to the others (at most 64 characters by default); null for none.</summary>
    public string? Name { get; set; }

    /// <summary>Automatic reconnection after an abnormal loss of the connection; off by default.</summary>
    public RelayReconnectOptions Reconnect { get; set; } = new();

    /// <summary>
    /// With <see cref="RelayReconnectOptions.Enabled"/>: join with <c>resume: true</c> and, after an abnormal loss, come
    /// back to the same seat (same client id, host role kept) with every room event missed meanwhile, delivered through
    /// the usual events exactly once and in order. When the server cannot resume (window over, history gone...), the
    /// client says so (<see cref="RelayRealtimeClient.ResumeFailed"/>) and joins afresh with a new client id. Rooms with
    /// resume off (<c>resumeWindowSeconds</c> 0) behave as without it. Default true; no effect without reconnection.
    /// </summary>
    public bool Resume { get; set; } = true;

    /// <summary>How long opening the WebSocket and joining the room may take, per attempt. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long <see cref="RelayRealtimeClient.CloseAsync"/> waits for the server's close handshake before aborting. Default 5 s.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often the client sends WebSocket pings; with <see cref="KeepAliveTimeout"/>, a server that stops answering
    /// is detected as a lost connection. Default 15 s; <see cref="TimeSpan.Zero"/> turns client pings off.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long to wait for the answer to a WebSocket ping before the connection counts as lost. Default 15 s; <see cref="Timeout.InfiniteTimeSpan"/> to never give up.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Also deliver every server message through <see cref="RelayRealtimeClient.ReadMessagesAsync"/>. When true, the
    /// stream must be read: once <see cref="MessageStreamCapacity"/> messages wait unread, the client stops reading
    /// from the server until there is room again. Default false.
    /// </summary>
    public bool EnableMessageStream { get; set; }

    /// <summary>How many messages the stream buffers before it holds back reading. Default 1024.</summary>
    public int MessageStreamCapacity { get; set; } = 1024;

    /// <summary>The largest message the client accepts from the server; a larger one closes the connection with 1009. Default 16 MiB.</summary>
    public int MaxReceiveMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Changes the underlying <see cref="ClientWebSocketOptions"/> (headers, proxy, certificates) before each connection.</summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; set; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(ServerUri);
        if (Token is null)
        {
            ArgumentException.ThrowIfNullOrEmpty(RoomId);
            ArgumentException.ThrowIfNullOrEmpty(Secret);
        }
        else
        {
            ArgumentException.ThrowIfNullOrEmpty(Token);
        }

        ArgumentNullException.ThrowIfNull(Reconnect);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CloseTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(KeepAliveInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MessageStreamCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReceiveMessageBytes, 1024);
        Reconnect.Validate();
    }
}

/// <summary>
/// Automatic reconnection. The client reconnects only when the connection is lost abnormally (network failure,
/// no close handshake, or close codes 1006, 1011-1014, 4004, and 1001 without a <c>room_closed</c>): never after a
/// kick, a room close, a deliberate close, a replacement by another connection (4005), or close codes 1000, 1008,
/// 1009, 4000, 4001 and 4002. Each attempt resumes the client's seat (see <see cref="RelayRealtimeOptions.Resume"/>)
/// or else joins the room again with a new client id. Delays grow exponentially with jitter.
/// </summary>
public sealed class RelayReconnectOptions
{
    /// <summary>Whether to reconnect. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Attempts after one loss before giving up; null for no limit. Default 10.</summary>
    public int? MaxAttempts { get; set; } = 10;

    /// <summary>The delay before the first attempt. Default 500 ms.</summary>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The largest delay between attempts. Default 30 s.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The factor the delay grows by after each failed attempt. Default 2.</summary>
    public double BackoffMultiplier { get; set; } = 2;

    /// <summary>Random spread of each delay, 0-1: a delay d becomes a random value in [d × (1 - Jitter), d]. Default 0.5.</summary>
    public double Jitter { get; set; } = 0.5;

    /// <summary>The delay before attempt <paramref name="attempt"/> (1-based), with jitter.</summary>
    /// <param name="attempt">The attempt number, from 1.</param>
    /// <returns>The delay.</returns>
    public TimeSpan GetDelay(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var exponential = InitialDelay.TotalMilliseconds * Math.Pow(BackoffMultiplier, Math.Min(attempt - 1, 64));
        var capped = Math.Min(exponential, MaxDelay.TotalMilliseconds);
        var spread = capped * Jitter * Random.Shared.NextDouble();
        return TimeSpan.FromMilliseconds(capped - spread);
    }

    internal void Validate()
    {
        if (MaxAttempts is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(max, 1, nameof(MaxAttempts));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(InitialDelay, TimeSpan.Zero, nameof(InitialDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, InitialDelay, nameof(MaxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(BackoffMultiplier, 1, nameof(BackoffMultiplier));
        if (Jitter is < 0 or > 1 || double.IsNaN(Jitter))
        {
            throw new ArgumentOutOfRangeException(nameof(Jitter), Jitter, "Jitter must be between 0 and 1.");
        }
    }
}
