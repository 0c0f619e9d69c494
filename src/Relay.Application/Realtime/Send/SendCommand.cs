using Mediator;
using Relay.Application.Common.Results;
using Relay.Domain.Frames;

namespace Relay.Application.Realtime.Send;

/// <summary>`send` (text) or a `0x01` binary frame: relay <paramref name="Payload"/> to the listed clients.</summary>
public sealed record SendCommand(ClientConnection Client, IReadOnlyList<int>? To, ReadOnlyMemory<byte> Payload, FrameKind Kind)
    : ICommand<RealtimeResult>;
