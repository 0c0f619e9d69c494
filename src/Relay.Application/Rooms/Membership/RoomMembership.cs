using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Realtime;
using Relay.Application.Realtime.Delivery;
using Relay.Application.Realtime.Frames;
using Relay.Domain.Rooms;

namespace Relay.Application.Rooms.Membership;

/// <summary>
/// Every change of membership, the same way on one node and in a cluster: take this node's copy of the room, let
/// the room's rules decide (<see cref="RoomDecider"/>'s <c>Decide*</c>), commit the decided event through the
/// backplane, and decide again if the copy turned out to be out of date (<see cref="ChangeCommitter"/>). Committed
/// events are applied (and their notifications sent) by <see cref="Events.RoomEventApplier"/>, in the room's order,
/// on every node that holds the room. A client coming back is <see cref="RoomResumption"/>'s.
/// </summary>
public sealed class RoomMembership(
    IRoomBackplane backplane,
    ChangeCommitter commits,
    RoomDelivery delivery,
    PendingArrivals pending,
    Orphans orphans,
    TimeProvider timeProvider)
{
    /// <summary>The random bytes of a resume token (drawn on `connected` and on every `resumed`).</summary>
    internal const int ResumeTokenBytes = 18;

    // ---- Joining -------------------------------------------------------------------------------------

    /// <summary>Seats <paramref name="client"/> (`connected` first, then `client_joined` to the others).</summary>
    public async ValueTask<JoinOutcome> JoinAsync(ClientConnection client, JoinRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        if (client.Session is not null)
        {
            return JoinOutcome.AlreadyInRoom;
        }

        var (room, unavailable) = await AcquireAsync(request.RoomId, cancellationToken);
        if (room is null)
        {
            return unavailable ? JoinOutcome.Unavailable : JoinOutcome.RoomNotFound;
        }

        try
        {
            var match = request.TokenMatch ?? room.MatchSecret(request.SecretDigest ?? []);
            if (match == SecretMatch.None)
            {
                return JoinOutcome.InvalidSecret;
            }

            string? resumeToken = null;
            byte[]? resumeDigest = null;
            if (request.Resume && room.IsSequenced)
            {
                resumeToken = RoomFactory.NewToken(ResumeTokenBytes);
                resumeDigest = SecretHash.Digest(resumeToken);
            }

            var token = pending.NewToken(backplane.NodeId);
            var arrival = pending.Register(token, client, request.Ref, resumeToken);
            try
            {
                var attempt = new JoinAttempt(match, request.Name, request.UserId, request.Resume, resumeDigest, backplane.NodeId, token, timeProvider.GetUtcNow());
                var change = await commits.CommitAsync(room, r => r.DecideJoin(attempt), cancellationToken);
                return change.Refusal switch
                {
                    Refusal.Accepted when change.Status == CommitStatus.Committed =>
                        arrival.Seated.Task.IsCompletedSuccessfully && arrival.Seated.Task.Result is not null ? JoinOutcome.Joined : JoinOutcome.Unavailable,
                    Refusal.Accepted => change.Status == CommitStatus.RoomGone ? JoinOutcome.RoomNotFound : JoinOutcome.Unavailable,
                    Refusal.Locked => JoinOutcome.Locked,
                    Refusal.Full => JoinOutcome.Full,
                    _ => JoinOutcome.RoomNotFound,
                };
            }
            finally
            {
                pending.Forget(token);
            }
        }
        finally
        {
            backplane.Release(room);
        }
    }

    // ---- Leaving ---------------------------------------------------------------------------------------

    /// <summary>
    /// The member leaves for good (`leave`, or a connection that ended for good). <paramref name="connection"/> is the
    /// connection that asks: nothing happens once the seat is another connection's (it came back elsewhere meanwhile);
    /// null only for the server itself (shutdown), which acts on the seat whoever holds it.
    /// </summary>
    public async ValueTask<MemberChange> LeaveAsync(Session session, long? connection, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var room = session.Room;
        var change = await commits.CommitAsync(room, r => Owns(session, connection) ? r.DecideLeave(session.ClientId, reason) : Decision<MemberLeft>.Refuse(Refusal.NotMember), cancellationToken);
        if (change.Status == CommitStatus.Unavailable && change.Refusal == Refusal.Accepted)
        {
            // The store is out: the member leaves here now, and the cluster is told when the store answers again.
            RemoveLocally(session, reason);
            return MemberChange.Done;
        }

        return ToMemberChange(change);
    }

    /// <summary>
    /// The connection under <paramref name="session"/> ended. A resumable member whose connection dropped
    /// (<paramref name="mayResume"/>) stays, away, for the room's window; any other leaves with <paramref name="reason"/>.
    /// </summary>
    public async ValueTask DisconnectAsync(Session session, long connection, string reason, bool mayResume, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (mayResume && session.Resumable && session.Room.IsSequenced)
        {
            var away = await commits.CommitAsync(
                session.Room,
                r => Owns(session, connection) ? r.DecideAway(session.ClientId, timeProvider.GetUtcNow()) : Decision<MemberAway>.Refuse(Refusal.NotMember),
                cancellationToken);
            if (away.Refusal == Refusal.Accepted && away.Status == CommitStatus.Committed)
            {
                return;
            }

            if (away.Refusal == Refusal.Accepted && away.Status == CommitStatus.Unavailable)
            {
                // Nothing reached the store: the seat is still held there with this node's connection, and the client
                // may come back (here or on another node) once the store answers. It keeps its seat: it becomes away
                // from now when the store answers again, unless it has come back by then. Nobody is told anything
                // before that, so that every member hears the same (`client_away`, then `client_back` or `client_left`).
                orphans.AddAway(session.Room.Id, session.ClientId, reason, timeProvider.GetUtcNow(), session.ResumeTokenDigest);
                return;
            }
        }

        await LeaveAsync(session, connection, reason, cancellationToken);
    }

    /// <summary>Kicks <paramref name="clientId"/>: with <paramref name="byHost"/>, only while that session is still host.</summary>
    public async ValueTask<MemberChange> KickAsync(Room room, int clientId, string reason, Session? byHost, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        var change = await commits.CommitAsync(room, r => r.DecideLeave(clientId, LeaveReasons.Kicked, reason, byHost?.ClientId ?? 0), cancellationToken);
        return ToMemberChange(change);
    }

    /// <summary>Makes <paramref name="clientId"/> host while <paramref name="host"/> still is.</summary>
    public async ValueTask<MemberChange> TransferHostAsync(Session host, int clientId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var change = await commits.CommitAsync(host.Room, r => r.DecideTransfer(host.ClientId, clientId), cancellationToken);
        return change.Refusal == Refusal.Unchanged ? MemberChange.Done : ToMemberChange(change);
    }

    /// <summary>Closes <paramref name="room"/>; with <paramref name="byHost"/>, only while that session is host.</summary>
    public async ValueTask<MemberChange> CloseAsync(Room room, string reason, ushort closeCode, string? message, Session? byHost, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        var change = await commits.CommitAsync(room, r => r.DecideClose(reason, closeCode, message, byHost?.ClientId ?? 0), cancellationToken);
        return ToMemberChange(change);
    }

    /// <summary>A backend's change to a room; null leaves a value as it is.</summary>
    public async ValueTask<MemberChange> UpdateAsync(Room room, int? maxClients, bool? locked, RoomMetadata? metadata, int? resumeWindowSeconds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        var change = await commits.CommitAsync(room, r => r.DecideUpdate(maxClients, locked, metadata, resumeWindowSeconds), cancellationToken);
        return ToMemberChange(change);
    }

    /// <summary>Closes <paramref name="room"/> with `expired` if it has been empty for <paramref name="ttl"/>.</summary>
    public async ValueTask<bool> ExpireAsync(Room room, TimeSpan ttl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        var change = await commits.CommitAsync(room, r => r.DecideExpire(timeProvider.GetUtcNow(), ttl, RoomClosedReasons.Expired), cancellationToken);
        return change is { Refusal: Refusal.Accepted, Status: CommitStatus.Committed };
    }

    /// <summary>Ends the away members of <paramref name="room"/> whose window is over (`client_left` `timeout`); returns how many.</summary>
    public async ValueTask<int> EndAwayWindowsAsync(Room room, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        var now = timeProvider.GetUtcNow();
        var ended = 0;
        if (!HasEndedWindows(room, now))
        {
            return 0;
        }

        foreach (var member in room.Members.ToArray())
        {
            if (member is { IsAway: true } && member.AwayUntil <= now)
            {
                var change = await commits.CommitAsync(room, r => r.DecideTimeout(member.ClientId, now, LeaveReasons.Timeout), cancellationToken);
                ended += change is { Refusal: Refusal.Accepted, Status: CommitStatus.Committed } ? 1 : 0;
            }
        }

        return ended;
    }

    /// <summary>
    /// A member whose node died: a resumable one becomes away for the room's window (it may come back on any node), any
    /// other leaves (`disconnected`). False when the store could not be reached.
    /// </summary>
    public async ValueTask<bool> DropAsync(Room room, int clientId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        var member = room.Find(clientId);
        if (member is null)
        {
            return true;
        }

        if (member.Resumable && room.IsSequenced && !member.IsAway)
        {
            var away = await commits.CommitAsync(room, r => r.DecideAway(clientId, timeProvider.GetUtcNow()), cancellationToken);
            if (away.Refusal != Refusal.NotResumable)
            {
                return away.Status != CommitStatus.Unavailable;
            }
        }

        var left = await commits.CommitAsync(room, r => r.DecideLeave(clientId, LeaveReasons.Disconnected), cancellationToken);
        return left.Status != CommitStatus.Unavailable;
    }

    /// <summary>Gives back the seats in <see cref="Orphans"/> (the store answers again); returns how many.</summary>
    public async ValueTask<int> ReleaseOrphansAsync(CancellationToken cancellationToken)
    {
        var released = 0;
        foreach (var orphan in orphans.Snapshot())
        {
            // Decided against the room as stored (this node's copy no longer shows the seat to its members).
            Room? room;
            try
            {
                room = await backplane.ReadAsync(orphan.RoomId, cancellationToken);
            }
            catch (RoomStoreUnavailableException)
            {
                return released;
            }

            var change = room is null ? new Change(Refusal.RoomClosed, CommitStatus.RoomGone) : await GiveBackAsync(room, orphan, cancellationToken);
            if (change is not { Refusal: Refusal.Accepted, Status: CommitStatus.Unavailable })
            {
                orphans.Remove(orphan);
                released++;
            }
        }

        return released;
    }

    /// <summary>
    /// Commits what an orphan stands for: a departure, or the start of a dropped resumable member's away window (a
    /// departure if the room no longer keeps seats). A seat that came back on another connection meanwhile is left as it is.
    /// </summary>
    private async ValueTask<Change> GiveBackAsync(Room room, Orphan orphan, CancellationToken cancellationToken)
    {
        if (orphan.AwaySince is not { } since)
        {
            return await commits.CommitAsync(room, r => r.DecideLeave(orphan.ClientId, orphan.Reason), cancellationToken);
        }

        var away = await commits.CommitAsync(
            room,
            r => StillHeldHere(r, orphan) ? r.DecideAway(orphan.ClientId, since) : Decision<MemberAway>.Refuse(Refusal.Unchanged),
            cancellationToken);
        return away.Refusal != Refusal.NotResumable
            ? away
            : await commits.CommitAsync(
                room,
                r => StillHeldHere(r, orphan) ? r.DecideLeave(orphan.ClientId, orphan.Reason) : Decision<MemberLeft>.Refuse(Refusal.Unchanged),
                cancellationToken);
    }

    /// <summary>The orphan's seat is still the one its connection left: held by this node, with the same resume token.</summary>
    private bool StillHeldHere(Room room, Orphan orphan)
    {
        lock (room.Gate)
        {
            return room.Find(orphan.ClientId) is { IsAway: false } member
                && (member.NodeId is null || member.NodeId == backplane.NodeId)
                && member.ResumeTokenDigest is { } digest && orphan.TokenDigest is { } held
                && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(digest, held);
        }
    }

    /// <summary>
    /// The room's copy for a change (<see cref="IRoomBackplane.AcquireAsync"/>): null with <c>Unavailable</c> false
    /// when there is no such room, null with <c>Unavailable</c> true when the store could not be reached in time.
    /// </summary>
    public ValueTask<(Room? Room, bool Unavailable)> AcquireAsync(string roomId, CancellationToken cancellationToken) =>
        commits.AcquireAsync(roomId, cancellationToken);

    /// <summary>
    /// A member's connection is gone while the store is unreachable: its seat stays (hidden) in this node's copy, the
    /// members here are told now, and the store is told when it answers again.
    /// </summary>
    private void RemoveLocally(Session session, string reason)
    {
        var room = session.Room;
        lock (room.Gate)
        {
            if (!room.Hide(session, backplane.NodeId))
            {
                return;
            }

            delivery.Publish(room, Audience.Everyone, ServerFrames.ClientLeft(session.ClientId, reason), 0);
        }

        orphans.Add(room.Id, session.ClientId, reason);
    }

    /// <summary>
    /// Still the seat of the connection that asks (a decision made again after a conflict must not act on a seat that
    /// came back on another connection meanwhile). The asking connection is the caller's, never read from the session:
    /// a seat taken over elsewhere has no connection here, which must not read as "anyone's".
    /// </summary>
    private static bool Owns(Session session, long? connection) =>
        session.IsMember && (connection is null || session.Connection?.Id == connection);

    private static bool HasEndedWindows(Room room, DateTimeOffset now)
    {
        foreach (var member in room.Members)
        {
            if (member.IsAway && member.AwayUntil <= now)
            {
                return true;
            }
        }

        return false;
    }

    private static MemberChange ToMemberChange(Change change) => change.Refusal switch
    {
        Refusal.Accepted => change.Status switch
        {
            CommitStatus.Committed => MemberChange.Done,
            CommitStatus.RoomGone => MemberChange.RoomNotFound,
            _ => MemberChange.Unavailable,
        },
        Refusal.NotHost => MemberChange.NotHost,
        Refusal.NotMember => MemberChange.UnknownClient,
        Refusal.Unchanged => MemberChange.Done,
        _ => MemberChange.RoomNotFound,
    };
}
