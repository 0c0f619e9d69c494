using Mediator;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Parsing;
using Relay.Domain.Sessions;

namespace Relay.Application.Realtime.Ping;

/// <summary>`ping`: answered with `pong`, connected or not.</summary>
public sealed record PingCommand(Session Session, MessageRef Ref) : ICommand<RealtimeResult>;
