using Mediator;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Parsing;
using Relay.Domain.Sessions;

namespace Relay.Application.Realtime.Leave;

/// <summary>`leave`: leave the room and keep the connection, which may `connect` again.</summary>
public sealed record LeaveCommand(Session Session, MessageRef Ref) : ICommand<RealtimeResult>;
