using Mediator;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Parsing;

namespace Relay.Application.Realtime.Connect;

/// <summary>`connect`: join room <paramref name="RoomId"/> with its secret or host secret; <paramref name="Resume"/> asks for a resume token.</summary>
public sealed record ConnectCommand(ClientConnection Client, string? RoomId, string? Secret, string? Name, bool Resume, MessageRef Ref)
    : ICommand<RealtimeResult>;
