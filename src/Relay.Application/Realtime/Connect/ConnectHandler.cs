using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Domain.Rooms;

namespace Relay.Application.Realtime.Connect;

/// <summary>
/// Seats the session in the room through the room manager, which checks both secrets in constant time,
/// applies the seat, lock and host rules, replies `connected` and tells the others (`client_joined`, `host_changed`).
/// </summary>
public sealed class ConnectHandler(IRoomManager rooms) : ICommandHandler<ConnectCommand, RealtimeResult>
{
    public async ValueTask<RealtimeResult> Handle(ConnectCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var session = command.Session;
        if (session.Room is not null)
        {
            return RealtimeResult.Fail(ErrorCodes.AlreadyConnected, "already in a room: send leave first");
        }

        // Hash before the lookup, so that a missing room and a wrong secret cost the same.
        var digest = SecretHash.Digest(command.Secret!);
        var outcome = await rooms.JoinAsync(new JoinRequest(command.RoomId!, digest, session, command.Name, command.Ref), cancellationToken);
        return outcome switch
        {
            JoinOutcome.Joined => RealtimeResult.Ok,
            JoinOutcome.RoomNotFound => RealtimeResult.Fail(ErrorCodes.RoomNotFound, "no such room"),
            JoinOutcome.InvalidSecret => RealtimeResult.Fail(ErrorCodes.InvalidSecret, "the secret does not match"),
            JoinOutcome.Locked => RealtimeResult.Fail(ErrorCodes.RoomLocked, "the room is locked"),
            JoinOutcome.Full => RealtimeResult.Fail(ErrorCodes.RoomFull, "the room is full"),
            JoinOutcome.AlreadyInRoom => RealtimeResult.Fail(ErrorCodes.AlreadyConnected, "already in a room: send leave first"),
            _ => RealtimeResult.Fail(ErrorCodes.Unavailable, "the room service is unavailable: try again shortly"),
        };
    }
}
