namespace Relay.LoadGen.Targets;

/// <summary>Makes a target by name: `relay` and `node-ws` speak Relay's protocol, `signalr` is the SignalR baseline.</summary>
public static class TargetFactory
{
    public static ITarget Create(string name, Uri baseAddress, string? apiKey) => name.ToLowerInvariant() switch
    {
        "relay" or "node-ws" => new RelayTarget(name.ToLowerInvariant(), baseAddress, apiKey),
        "signalr" => new SignalRTarget(baseAddress),
        _ => throw new ArgumentException($"unknown target '{name}' (relay, signalr, node-ws)", nameof(name)),
    };
}
