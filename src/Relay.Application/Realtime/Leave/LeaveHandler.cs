using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Frames;

namespace Relay.Application.Realtime.Leave;

public sealed class LeaveHandler(IRoomManager rooms) : ICommandHandler<LeaveCommand, RealtimeResult>
{
    public async ValueTask<RealtimeResult> Handle(LeaveCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!await rooms.LeaveAsync(command.Session, LeaveReasons.Left, cancellationToken))
        {
            return RealtimeResult.Fail(ErrorCodes.NotConnected, "not in a room");
        }

        RoomCoordinator.SendTo(command.Session, ServerFrames.Left(command.Ref));
        return RealtimeResult.Ok;
    }
}
