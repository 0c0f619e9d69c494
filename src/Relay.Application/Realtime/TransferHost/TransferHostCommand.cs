using Mediator;
using Relay.Application.Common.Results;

namespace Relay.Application.Realtime.TransferHost;

/// <summary>`transfer_host` (host only): client <paramref name="ClientId"/> becomes host; everyone gets `host_changed`.</summary>
public sealed record TransferHostCommand(ClientConnection Client, int? ClientId) : ICommand<RealtimeResult>;
