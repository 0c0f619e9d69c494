using Mediator;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Parsing;

namespace Relay.Application.Realtime.Resume;

/// <summary>`resume`: come back to the seat <paramref name="Token"/> holds in <paramref name="RoomId"/>, after event <paramref name="Seq"/>.</summary>
public sealed record ResumeCommand(ClientConnection Client, string? RoomId, string? Token, long? Seq, MessageRef Ref) : ICommand<RealtimeResult>;
