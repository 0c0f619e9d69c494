using Mediator;
using Relay.Application.Common.Results;
using Relay.Domain.Sessions;

namespace Relay.Application.Realtime.Disconnect;

/// <summary>The connection under <paramref name="Session"/> ended (`disconnected`) or its peer stopped answering (`timeout`).</summary>
public sealed record DisconnectCommand(Session Session, string Reason) : ICommand<RealtimeResult>;
