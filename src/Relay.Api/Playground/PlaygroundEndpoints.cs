namespace Relay.Api.Playground;

/// <summary>The playground page at <c>/</c> and the browser client at <c>/client/relay.js</c>.</summary>
public static class PlaygroundEndpoints
{
    /// <summary>Maps the playground's static files.</summary>
    public static IEndpointRouteBuilder MapPlayground(this IEndpointRouteBuilder endpoints) => endpoints;
}
