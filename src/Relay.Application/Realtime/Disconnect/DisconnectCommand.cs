using Mediator;
using Relay.Application.Common.Results;

namespace Relay.Application.Realtime.Disconnect;

/// <summary>
/// The connection of <paramref name="Client"/> ended (`disconnected`) or its peer stopped answering (`timeout`).
/// <paramref name="MayResume"/>: it ended in a way that lets a resumable client come back (no close frame, a
/// keep-alive timeout, a close 1001 from the client, or the server's slow-consumer close).
/// </summary>
public sealed record DisconnectCommand(ClientConnection Client, string Reason, bool MayResume) : ICommand<RealtimeResult>;
