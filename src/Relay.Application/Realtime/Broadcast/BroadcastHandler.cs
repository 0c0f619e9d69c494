using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Frames;

namespace Relay.Application.Realtime.Broadcast;

/// <summary>
/// The hot path: builds one frame, then hands the same bytes to each recipient's queue. Nothing here
/// waits on a recipient or allocates per recipient. Members on other cluster nodes get it through one forward.
/// </summary>
public sealed class BroadcastHandler(IRoomManager rooms, RelayStats stats) : ICommandHandler<BroadcastCommand, RealtimeResult>
{
    public ValueTask<RealtimeResult> Handle(BroadcastCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var sender = command.Sender;
        var room = sender.Room;
        var senderId = sender.ClientId;
        if (room is null || senderId == 0)
        {
            return ValueTask.FromResult(RealtimeResult.Fail(ErrorCodes.NotConnected, "connect to a room first"));
        }

        var protocol = room.Protocol;
        var frame = RelayFrames.For(command.Kind, senderId, command.Payload.Span);
        var delivered = 0;
        foreach (var member in room.Members)
        {
            if (!ReferenceEquals(member, sender) && protocol.ReceivesBroadcast(room, sender, member) && member.TrySendInRoom(room, frame))
            {
                delivered++;
            }
        }

        frame.Release();
        rooms.Forward(room, new RelayEnvelope(command.Kind, senderId, command.Payload, null));
        stats.RecordRelay(command.Payload.Length, delivered);
        return ValueTask.FromResult(RealtimeResult.Ok);
    }
}
