using Mediator;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Parsing;
using Relay.Domain.Sessions;

namespace Relay.Application.Realtime.Connect;

/// <summary>`connect`: join room <paramref name="RoomId"/> with its secret or host secret.</summary>
public sealed record ConnectCommand(Session Session, string? RoomId, string? Secret, string? Name, MessageRef Ref)
    : ICommand<RealtimeResult>;
