using Relay.Domain.Frames;
using Relay.Domain.Rooms;

namespace Relay.Application.Abstractions;

/// <summary>
/// A relayed message as every node needs it: the sender (0 for the server), the kind, the payload exactly as sent
/// (never re-serialised) and its audience, decided once by the node where it was sent. With <see cref="ToHost"/>,
/// a sequenced relay goes to whoever is host at its place in the sequence (a non-host's broadcast in a `host` room).
/// </summary>
public readonly record struct RelayMessage(FrameKind Kind, int SenderId, ReadOnlyMemory<byte> Payload, Audience Audience, bool ToHost = false);
