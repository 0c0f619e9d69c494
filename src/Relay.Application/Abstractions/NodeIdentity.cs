namespace Relay.Application.Abstractions;

/// <summary>This node's id: events name the node that holds a member's connection.</summary>
public sealed record NodeIdentity(string Id);
