using Mediator;
using Relay.Application.Common.Results;

namespace Relay.Application.Realtime.Kick;

/// <summary>`kick` (host only): remove client <paramref name="ClientId"/>, which gets `kicked` and close 4001.</summary>
public sealed record KickCommand(ClientConnection Client, int? ClientId, string? Reason) : ICommand<RealtimeResult>;
