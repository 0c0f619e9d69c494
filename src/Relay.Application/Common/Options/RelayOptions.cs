namespace Relay.Application.Common.Options;

/// <summary>
/// The application's `Relay:*` keys of the wire contract: rooms, names, metadata, client messages, rate limits,
/// resume, webhooks and client tokens. The other layers own theirs under the same section (the backplane and
/// Redis in the infrastructure, API keys, origins and connection limits in the API).
/// </summary>
public sealed class RelayOptions
{
    public const string SectionName = "Relay";

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

    public int EmptyRoomTtlSeconds { get; set; } = 300;

    public RateLimitOptions RateLimit { get; init; } = new();

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
