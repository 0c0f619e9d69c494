namespace Relay.Application.Common.Options;

/// <summary>The `Relay:*` configuration keys of the wire contract.</summary>
public sealed class RelayOptions
{
    public const string SectionName = "Relay";

    /// <summary>REST API keys, accepted in `X-Api-Key` or `Authorization: Bearer`.</summary>
    public IList<string> ApiKeys { get; init; } = [];

    /// <summary>Lets the REST API run without keys outside Development.</summary>
    public bool AllowAnonymousApi { get; set; }

    /// <summary>WebSocket `Origin` allow-list; empty allows any origin.</summary>
    public IList<string> AllowedOrigins { get; init; } = [];

    public int MaxMessageBytes { get; set; } = 65536;

    /// <summary>Open WebSocket connections the server accepts; more are refused with 503 before the upgrade.</summary>
    public int MaxConnections { get; set; } = 50_000;

    /// <summary>Rooms the server holds at once; creating more answers 503.</summary>
    public int MaxRooms { get; set; } = 50_000;

    /// <summary>The longest client `name` (characters).</summary>
    public int MaxNameLength { get; set; } = 64;

    /// <summary>The largest room `metadata` object (bytes of JSON).</summary>
    public int MaxMetadataBytes { get; set; } = 4096;

    /// <summary>The deepest JSON nesting a client message may have.</summary>
    public int MaxJsonDepth { get; set; } = 64;

    public int MaxClientsCap { get; set; } = 1000;

    public int DefaultMaxClients { get; set; } = 16;

    public int ConnectTimeoutSeconds { get; set; } = 10;

    public int EmptyRoomTtlSeconds { get; set; } = 300;

    public int KeepAliveSeconds { get; set; } = 15;

    public RateLimitOptions RateLimit { get; init; } = new();

    public SendQueueOptions SendQueue { get; init; } = new();

    /// <summary>Runs socket I/O continuations inline on the I/O threads (Kestrel's UnsafePreferInlineScheduling).</summary>
    public bool InlineScheduling { get; set; } = true;

    public string Backplane { get; set; } = "InMemory";

    public RedisOptions Redis { get; init; } = new();

    public ResumeOptions Resume { get; init; } = new();

    public WebhookOptions Webhooks { get; init; } = new();

    public TokenOptions Tokens { get; init; } = new();
}

/// <summary>`Relay:Resume:*`: the default resume window of new rooms and the bounds of a room's history.</summary>
public sealed class ResumeOptions
{
    /// <summary>The resume window of rooms created without `resumeWindowSeconds` (0..3600; 0 turns resume off).</summary>
    public int WindowSeconds { get; set; } = 30;

    /// <summary>The most room events a room's history keeps for clients coming back.</summary>
    public int HistoryMessages { get; set; } = 512;

    /// <summary>The most bytes a room's history keeps.</summary>
    public long HistoryBytes { get; set; } = 1048576;
}

public sealed class RateLimitOptions
{
    public int MessagesPerSecond { get; set; } = 100;

    public int Burst { get; set; } = 200;
}

public sealed class SendQueueOptions
{
    public int MaxMessages { get; set; } = 1024;

    public long MaxBytes { get; set; } = 1048576;
}

public sealed class RedisOptions
{
    /// <summary>StackExchange.Redis configuration string (`host:port,password=...,ssl=true`).</summary>
    public string ConnectionString { get; set; } = "localhost:6379";

    /// <summary>Every key and channel of the cluster is under this prefix, so several clusters can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "relay";

    /// <summary>How often each node proves it is alive; a node silent for 1.5 intervals is taken for dead.</summary>
    public double HeartbeatSeconds { get; set; } = 2;

    /// <summary>This node's id in the cluster; null draws a unique one at start.</summary>
    public string? NodeId { get; set; }

    /// <summary>
    /// The time budget of every Redis call: past it the call counts as failed (`unavailable`, 503) and a change that
    /// reaches Redis later is refused there, so a stall never turns into a late success.
    /// </summary>
    public double TimeoutSeconds { get; set; } = 1.5;
}
