using System.IO.Compression;

namespace Relay.Api.Configuration;

/// <summary>
/// The API's `Relay:*` keys: who may call the REST API, which pages may open a WebSocket, and the limits and
/// timers of each connection.
/// </summary>
public sealed class ApiOptions
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

    public int ConnectTimeoutSeconds { get; set; } = 10;

    public int KeepAliveSeconds { get; set; } = 15;

    public SendQueueOptions SendQueue { get; init; } = new();

    public CompressionOptions Compression { get; init; } = new();

    /// <summary>Runs socket I/O continuations inline on the I/O threads (Kestrel's UnsafePreferInlineScheduling).</summary>
    public bool InlineScheduling { get; set; } = true;

    /// <summary>
    /// Answers plain WebSocket upgrades of `/v1/websocket` ahead of Kestrel's HTTP layer, which then keeps no
    /// per-request objects for the connection's life (Realtime/Upgrade/LeanUpgrade).
    /// </summary>
    public bool LeanUpgrade { get; set; } = true;
}

/// <summary>`Relay:SendQueue:*`: the bounds of each connection's queue of frames to send.</summary>
public sealed class SendQueueOptions
{
    public int MaxMessages { get; set; } = 1024;

    public long MaxBytes { get; set; } = 1048576;
}

/// <summary>
/// `Relay:Compression:*`: the WebSocket `permessage-deflate` extension (RFC 7692), off unless enabled. A client that
/// offers it gets it without context takeover either way; each relayed message is compressed once and shared.
/// </summary>
public sealed class CompressionOptions
{
    public bool Enabled { get; set; }

    /// <summary>Messages whose payload is shorter than this go plain (deflating them gains nothing).</summary>
    public int MinBytes { get; set; } = 256;

    /// <summary>The zlib effort: Fastest, Optimal or SmallestSize.</summary>
    public CompressionLevel Level { get; set; } = CompressionLevel.Fastest;
}
