using Mediator;
using Relay.Application.Common.Results;
using Relay.Domain.Sessions;

namespace Relay.Application.Realtime.Kick;

/// <summary>`kick` (host only): remove client <paramref name="ClientId"/>, which gets `kicked` and close 4001.</summary>
public sealed record KickCommand(Session Host, int? ClientId, string? Reason) : ICommand<RealtimeResult>;
