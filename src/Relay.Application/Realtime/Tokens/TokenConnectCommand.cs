using Mediator;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Parsing;

namespace Relay.Application.Realtime.Tokens;

/// <summary>`connect` with a client token instead of `roomId` and `secret` (contract 1.1): the token names the room.</summary>
public sealed record TokenConnectCommand(ClientConnection Client, string? Token, string? Name, bool Resume, MessageRef Ref)
    : ICommand<RealtimeResult>;
