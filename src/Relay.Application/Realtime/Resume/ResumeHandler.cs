using Mediator;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Rooms.Membership;

namespace Relay.Application.Realtime.Resume;

/// <summary>
/// Brings a dropped client back to its seat with every room event it missed, or answers `resume_failed` and changes
/// nothing (the connection stays open and may `connect` afresh).
/// </summary>
public sealed class ResumeHandler(RoomResumption resumption) : ICommandHandler<ResumeCommand, RealtimeResult>
{
    public async ValueTask<RealtimeResult> Handle(ResumeCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var request = new ResumeRequest(command.RoomId!, command.Token!, command.Seq!.Value, command.Ref);
        return await resumption.ResumeAsync(command.Client, request, cancellationToken) switch
        {
            ResumeOutcome.Resumed => RealtimeResult.Ok,
            ResumeOutcome.AlreadyInRoom => RealtimeResult.Fail(ErrorCodes.AlreadyConnected, "already in a room: send leave first"),
            ResumeOutcome.Unavailable => RealtimeResults.Unavailable,
            ResumeOutcome.RoomNotFound => Failed("the room is gone"),
            ResumeOutcome.SeqAhead => Failed("seq is above the room's latest"),
            ResumeOutcome.HistoryGap => Failed("the events after seq are no longer kept"),
            _ => Failed("unknown or used token, or the resume window is over"),
        };
    }

    private static RealtimeResult Failed(string why) => RealtimeResult.Fail(ErrorCodes.ResumeFailed, "cannot resume: " + why);
}
