using System.Text;
using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Frames;
using Relay.Domain.Sessions;

namespace Relay.Application.Rooms.PushMessage;

/// <summary>Relays a backend's message to the room's clients as `message` from 0 (the server).</summary>
public sealed class PushMessageHandler(IRoomManager rooms, RelayStats stats) : ICommandHandler<PushMessageCommand, Result<PushMessageResult>>
{
    public const int ServerClientId = 0;

    public async ValueTask<Result<PushMessageResult>> Handle(PushMessageCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var room = await rooms.FindAsync(command.Id, cancellationToken);
        if (room is null)
        {
            return Result<PushMessageResult>.NotFound($"No room with id '{command.Id}'.");
        }

        var data = Encoding.UTF8.GetBytes(command.Data.GetRawText());
        var frame = RelayFrames.Message(ServerClientId, data);
        var delivered = 0;
        foreach (var member in room.Members)
        {
            if (command.To is null || command.To.Contains(member.ClientId))
            {
                // A member on another node counts as reached: its node delivers the forwarded message.
                if (member.IsRemote || member.TrySendInRoom(room, frame))
                {
                    delivered++;
                }
            }
        }

        frame.Release();
        rooms.Forward(room, new RelayEnvelope(FrameKind.Text, ServerClientId, data, command.To));
        stats.RecordRelay(data.Length, delivered);
        return Result<PushMessageResult>.Ok(new PushMessageResult(delivered));
    }
}
