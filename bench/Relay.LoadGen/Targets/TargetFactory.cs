namespace Relay.LoadGen.Targets;

/// <summary>
/// Makes a target by name: `relay` and `node-ws` speak Relay's protocol, `signalr` is the SignalR baseline.
/// The client mode picks how Relay-protocol clients are made: `websocket` (default: one
/// <c>ClientWebSocket</c> each) or `raw` (raw sockets served by a few receive loops).
/// </summary>
public static class TargetFactory
{
    public const string WebSocketClient = "websocket";
    public const string RawClient = "raw";

    public static ITarget Create(string name, Uri baseAddress, string? apiKey, string client = WebSocketClient, int rawLoops = 1)
    {
        ArgumentNullException.ThrowIfNull(name);
        var target = name.ToLowerInvariant();
        return (target, client) switch
        {
            ("relay" or "node-ws", WebSocketClient) => new RelayTarget(target, baseAddress, apiKey),
            ("relay" or "node-ws", RawClient) => new RawRelayTarget(target, baseAddress, apiKey, rawLoops),
            ("signalr", WebSocketClient) => new SignalRTarget(baseAddress),
            ("signalr", _) => throw new ArgumentException("the signalr target has only the websocket client (SignalR's own)", nameof(client)),
            (_, not (WebSocketClient or RawClient)) => throw new ArgumentException($"unknown client '{client}' (websocket, raw)", nameof(client)),
            _ => throw new ArgumentException($"unknown target '{name}' (relay, signalr, node-ws)", nameof(name)),
        };
    }
}
