using Mediator;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Frames;
using Relay.Application.Rooms.Membership;

namespace Relay.Application.Realtime.Leave;

/// <summary>`leave`: the client leaves for good and gets `left` after its departure; the connection may `connect` again.</summary>
public sealed class LeaveHandler(RoomMembership membership) : ICommandHandler<LeaveCommand, RealtimeResult>
{
    public async ValueTask<RealtimeResult> Handle(LeaveCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var client = command.Client;
        var session = client.Session;
        if (session is null)
        {
            return RealtimeResults.NotConnected;
        }

        var change = await membership.LeaveAsync(session, client.Id, LeaveReasons.Left, cancellationToken);
        if (change != MemberChange.Done)
        {
            return change == MemberChange.Unavailable ? RealtimeResults.Unavailable : RealtimeResults.NotConnected;
        }

        client.Reply(ServerFrames.Left(command.Ref));
        client.StartConnectTimer();
        return RealtimeResult.Ok;
    }
}
