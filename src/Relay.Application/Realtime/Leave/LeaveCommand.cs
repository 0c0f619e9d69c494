using Mediator;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Parsing;

namespace Relay.Application.Realtime.Leave;

/// <summary>`leave`: leave the room and keep the connection, which may `connect` again.</summary>
public sealed record LeaveCommand(ClientConnection Client, MessageRef Ref) : ICommand<RealtimeResult>;
