using Mediator;
using Relay.Application.Common.Results;
using Relay.Domain.Sessions;

namespace Relay.Application.Realtime.TransferHost;

/// <summary>`transfer_host` (host only): client <paramref name="ClientId"/> becomes host; everyone gets `host_changed`.</summary>
public sealed record TransferHostCommand(Session Host, int? ClientId) : ICommand<RealtimeResult>;
