using Mediator;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Frames;

namespace Relay.Application.Realtime.Leave;

public sealed class LeaveHandler(RoomCoordinator coordinator) : ICommandHandler<LeaveCommand, RealtimeResult>
{
    public ValueTask<RealtimeResult> Handle(LeaveCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!coordinator.RemoveMember(command.Session, LeaveReasons.Left))
        {
            return ValueTask.FromResult(RealtimeResult.Fail(ErrorCodes.NotConnected, "not in a room"));
        }

        RoomCoordinator.SendTo(command.Session, ServerFrames.Left(command.Ref));
        return ValueTask.FromResult(RealtimeResult.Ok);
    }
}
