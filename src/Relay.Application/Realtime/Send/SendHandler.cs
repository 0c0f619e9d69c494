using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Frames;
using Relay.Domain.Sessions;

namespace Relay.Application.Realtime.Send;

/// <summary>
/// Relays to the listed clients. All targets are checked first (present, allowed by the protocol), so a
/// send is delivered to all of them or to none; a client listed twice gets it once.
/// </summary>
public sealed class SendHandler(IRoomManager rooms, RelayStats stats) : ICommandHandler<SendCommand, RealtimeResult>
{
    public ValueTask<RealtimeResult> Handle(SendCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return ValueTask.FromResult(Relay(command));
    }

    private RealtimeResult Relay(SendCommand command)
    {
        var sender = command.Sender;
        var room = sender.Room;
        var senderId = sender.ClientId;
        if (room is null || senderId == 0)
        {
            return RealtimeResult.Fail(ErrorCodes.NotConnected, "connect to a room first");
        }

        var to = command.To!;
        var targets = new Session[to.Count];
        for (var i = 0; i < to.Count; i++)
        {
            var target = room.Find(to[i]);
            if (target is null)
            {
                return RealtimeResult.Fail(ErrorCodes.UnknownClient, $"client {to[i]} is not in the room");
            }

            if (!room.Protocol.MaySend(room, sender, target))
            {
                return RealtimeResult.Fail(ErrorCodes.Forbidden, $"the {room.Protocol.Name} protocol does not allow sending to client {to[i]}");
            }

            targets[i] = target;
        }

        var frame = RelayFrames.For(command.Kind, senderId, command.Payload.Span);
        var delivered = 0;
        var anyRemote = false;
        for (var i = 0; i < targets.Length; i++)
        {
            anyRemote |= targets[i].IsRemote;
            if (IsFirstOccurrence(targets, i) && targets[i].TrySendInRoom(room, frame))
            {
                delivered++;
            }
        }

        frame.Release();
        if (anyRemote)
        {
            rooms.Forward(room, new RelayEnvelope(command.Kind, senderId, command.Payload, to));
        }

        stats.RecordRelay(command.Payload.Length, delivered);
        return RealtimeResult.Ok;
    }

    private static bool IsFirstOccurrence(Session[] targets, int index)
    {
        for (var i = 0; i < index; i++)
        {
            if (ReferenceEquals(targets[i], targets[index]))
            {
                return false;
            }
        }

        return true;
    }
}
