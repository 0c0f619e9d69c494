using Mediator;
using Relay.Application.Common.Results;
using Relay.Domain.Frames;

namespace Relay.Application.Realtime.Broadcast;

/// <summary>
/// `broadcast` (text) or a `0x00` binary frame: relay <paramref name="Payload"/> to every client the room's
/// protocol allows. The payload is a slice of the receive buffer, valid only during handling.
/// Its shape is checked by the envelope parser, so it has no validator and the pipeline adds nothing.
/// </summary>
public sealed record BroadcastCommand(ClientConnection Client, ReadOnlyMemory<byte> Payload, FrameKind Kind) : ICommand<RealtimeResult>;
