using Mediator;
using Relay.Application.Common.Results;
using Relay.Application.Rooms.Membership;

namespace Relay.Application.Realtime.Disconnect;

public sealed class DisconnectHandler(RoomMembership membership) : ICommandHandler<DisconnectCommand, RealtimeResult>
{
    public async ValueTask<RealtimeResult> Handle(DisconnectCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Client.Session is { } session)
        {
            await membership.DisconnectAsync(session, command.Client.Id, command.Reason, command.MayResume, cancellationToken);
        }

        return RealtimeResult.Ok;
    }
}
