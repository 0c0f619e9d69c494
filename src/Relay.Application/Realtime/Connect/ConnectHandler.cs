using Mediator;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Rooms.Membership;
using Relay.Domain.Rooms;

namespace Relay.Application.Realtime.Connect;

/// <summary>
/// Seats the connection through <see cref="RoomMembership"/>: both secrets are checked in constant time, the room's
/// rules decide seat, lock and host, and `connected` goes to the joiner before `client_joined` reaches the others.
/// </summary>
public sealed class ConnectHandler(RoomMembership membership) : ICommandHandler<ConnectCommand, RealtimeResult>
{
    public async ValueTask<RealtimeResult> Handle(ConnectCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);

        // Hash before the lookup, so that a missing room and a wrong secret cost the same.
        var digest = SecretHash.Digest(command.Secret!);
        var request = new JoinRequest(command.RoomId!, digest, null, command.Name, null, command.Resume, command.Ref);
        return Of(await membership.JoinAsync(command.Client, request, cancellationToken));
    }

    /// <summary>The error frame of a join's outcome (shared with token joins).</summary>
    internal static RealtimeResult Of(JoinOutcome outcome) => outcome switch
    {
        JoinOutcome.Joined => RealtimeResult.Ok,
        JoinOutcome.RoomNotFound => RealtimeResult.Fail(ErrorCodes.RoomNotFound, "no such room"),
        JoinOutcome.InvalidSecret => RealtimeResult.Fail(ErrorCodes.InvalidSecret, "the secret does not match"),
        JoinOutcome.Locked => RealtimeResult.Fail(ErrorCodes.RoomLocked, "the room is locked"),
        JoinOutcome.Full => RealtimeResult.Fail(ErrorCodes.RoomFull, "the room is full"),
        JoinOutcome.AlreadyInRoom => RealtimeResult.Fail(ErrorCodes.AlreadyConnected, "already in a room: send leave first"),
        _ => RealtimeResults.Unavailable,
    };
}
