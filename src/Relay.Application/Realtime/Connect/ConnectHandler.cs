using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Frames;
using Relay.Domain.Rooms;

namespace Relay.Application.Realtime.Connect;

/// <summary>
/// Seats the session in the room: checks both secrets in constant time, lets the room apply its seat,
/// lock and host rules, then replies `connected` and tells the others (`client_joined`, `host_changed`).
/// </summary>
public sealed class ConnectHandler(IRoomManager rooms, TimeProvider timeProvider) : ICommandHandler<ConnectCommand, RealtimeResult>
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
        var room = await rooms.FindAsync(command.RoomId!, cancellationToken);
        if (room is null)
        {
            return RealtimeResult.Fail(ErrorCodes.RoomNotFound, "no such room");
        }

        var match = room.MatchSecret(digest);
        if (match == SecretMatch.None)
        {
            return RealtimeResult.Fail(ErrorCodes.InvalidSecret, "the secret does not match");
        }

        lock (room.Gate)
        {
            // `connected` is queued before the joiner becomes visible to relays, so it is always its first message.
            var joined = room.Join(
                session,
                command.Name,
                match == SecretMatch.Host,
                timeProvider.GetUtcNow(),
                _ => RoomCoordinator.SendTo(session, ServerFrames.Connected(room, session, command.Ref)));
            switch (joined.Status)
            {
                case JoinStatus.Closed:
                    return RealtimeResult.Fail(ErrorCodes.RoomNotFound, "no such room");
                case JoinStatus.Locked:
                    return RealtimeResult.Fail(ErrorCodes.RoomLocked, "the room is locked");
                case JoinStatus.Full:
                    return RealtimeResult.Fail(ErrorCodes.RoomFull, $"the room is full ({room.MaxClients} clients)");
                case JoinStatus.AlreadyInRoom:
                    return RealtimeResult.Fail(ErrorCodes.AlreadyConnected, "already in a room: send leave first");
            }

            RoomCoordinator.Publish(room, ServerFrames.ClientJoined(joined.ClientId, command.Name), except: session);
            if (joined.HostChanged && room.ClientCount > 1)
            {
                RoomCoordinator.Publish(room, ServerFrames.HostChanged(joined.ClientId), except: session);
            }
        }

        return RealtimeResult.Ok;
    }
}
