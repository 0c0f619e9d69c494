using Mediator;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Parsing;

namespace Relay.Application.Realtime.Ping;

/// <summary>`ping`: answered with `pong`, connected or not.</summary>
public sealed record PingCommand(ClientConnection Client, MessageRef Ref) : ICommand<RealtimeResult>;
