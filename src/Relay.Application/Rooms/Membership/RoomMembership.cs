using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Options;
using Relay.Application.Realtime;
using Relay.Application.Realtime.Delivery;
using Relay.Application.Realtime.Frames;
using Relay.Domain.Frames;
using Relay.Domain.Rooms;

namespace Relay.Application.Rooms.Membership;

/// <summary>
/// Every change of membership, the same way on one node and in a cluster: take this node's copy of the room, let
/// the room's rules decide (<see cref="Room"/>'s <c>Decide*</c>), commit the decided event through the backplane,
/// and decide again if the copy turned out to be out of date. Committed events are applied (and their notifications
/// sent) by <see cref="Events.RoomEventApplier"/>, in the room's order, on every node that holds the room.
/// </summary>
public sealed partial class RoomMembership(
    IRoomBackplane backplane,
    RoomDelivery delivery,
    PendingArrivals pending,
    Orphans orphans,
    RelayStats stats,
    IOptions<RelayOptions> options,
    TimeProvider timeProvider,
    ILogger<RoomMembership> logger)
{
    /// <summary>How often a decision is made again when the copy it was based on keeps turning out out of date.</summary>
    private const int MaxAttempts = 64;

    private const int ResumeTokenBytes = 18;

    private readonly ResumeOptions _resume = options.Value.Resume;

    // ---- Joining and coming back -------------------------------------------------------------------------

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
                var change = await CommitAsync(room, r => r.DecideJoin(attempt), cancellationToken);
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

    /// <summary>
    /// Brings <paramref name="client"/> back to the seat its resume token holds: `resumed`, every room event it missed
    /// after its `seq` that it would have received, in order, then live events; or nothing at all.
    /// </summary>
    public async ValueTask<ResumeOutcome> ResumeAsync(ClientConnection client, ResumeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        if (client.Session is not null)
        {
            return Counted(ResumeOutcome.AlreadyInRoom);
        }

        var (room, unavailable) = await AcquireAsync(request.RoomId, cancellationToken);
        if (room is null)
        {
            return Counted(unavailable ? ResumeOutcome.Unavailable : ResumeOutcome.RoomNotFound);
        }

        try
        {
            var presented = SecretHash.Digest(request.Token);
            var newToken = RoomFactory.NewToken(ResumeTokenBytes);
            var newDigest = SecretHash.Digest(newToken);
            var token = pending.NewToken(backplane.NodeId);
            var gate = new ReplayGate(client.Connection);
            var arrival = pending.Register(token, client, request.Ref, newToken, gate);
            try
            {
                for (var attempt = 0; attempt < MaxAttempts; attempt++)
                {
                    var decision = room.DecideBack(presented, newDigest, backplane.NodeId, token, timeProvider.GetUtcNow());
                    if (!decision.Accepted)
                    {
                        if (await RefreshAsync(room, cancellationToken))
                        {
                            continue;
                        }

                        return Counted(ResumeOutcome.UnknownToken);
                    }

                    var member = room.Find(decision.Event!.ClientId)!;
                    var afterSeq = Math.Max(request.Seq, member.JoinSeq);
                    var result = await backplane.CommitResumeAsync(room, decision.Event, decision.Version, afterSeq, request.Seq, cancellationToken);
                    switch (result.Status)
                    {
                        case ResumeCommitStatus.Conflict:
                            continue;
                        case ResumeCommitStatus.SeqAhead:
                            return Counted(ResumeOutcome.SeqAhead);
                        case ResumeCommitStatus.HistoryGap:
                            return Counted(ResumeOutcome.HistoryGap);
                        case ResumeCommitStatus.RoomGone:
                            return Counted(ResumeOutcome.RoomNotFound);
                        case ResumeCommitStatus.Unavailable:
                            return Counted(ResumeOutcome.Unavailable);
                    }

                    var seated = arrival.Seated.Task.IsCompletedSuccessfully ? arrival.Seated.Task.Result : null;
                    if (seated is null || arrival.View is not { } view)
                    {
                        Release(result.Missed);
                        return Counted(ResumeOutcome.Unavailable);
                    }

                    var missed = result.Missed!;
                    var frames = new List<OutboundFrame>(missed.Count + 1)
                    {
                        ServerFrames.Resumed(view, arrival.Ref, newToken, missed.Count),
                    };
                    frames.AddRange(missed);
                    gate.Open(frames);
                    return Counted(ResumeOutcome.Resumed);
                }

                return Counted(ResumeOutcome.Unavailable);
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
        var change = await CommitAsync(room, r => Owns(session, connection) ? r.DecideLeave(session.ClientId, reason) : Decision<MemberLeft>.Refuse(Refusal.NotMember), cancellationToken);
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
            var away = await CommitAsync(
                session.Room,
                r => Owns(session, connection) ? r.DecideAway(session.ClientId, timeProvider.GetUtcNow()) : Decision<MemberAway>.Refuse(Refusal.NotMember),
                cancellationToken);
            if (away.Refusal == Refusal.Accepted && away.Status == CommitStatus.Committed)
            {
                return;
            }

            if (away.Refusal == Refusal.Accepted && away.Status == CommitStatus.Unavailable)
            {
                // Nothing reached the store: the seat is still held there with this node's connection. When the store
                // answers again, the orphan is taken out (a connection that is gone cannot come back to this node).
                RemoveLocally(session, reason);
                return;
            }
        }

        await LeaveAsync(session, connection, reason, cancellationToken);
    }

    /// <summary>Kicks <paramref name="clientId"/>: with <paramref name="byHost"/>, only while that session is still host.</summary>
    public async ValueTask<MemberChange> KickAsync(Room room, int clientId, string reason, Session? byHost, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        var change = await CommitAsync(room, r => r.DecideLeave(clientId, LeaveReasons.Kicked, reason, byHost?.ClientId ?? 0), cancellationToken);
        return ToMemberChange(change);
    }

    /// <summary>Makes <paramref name="clientId"/> host while <paramref name="host"/> still is.</summary>
    public async ValueTask<MemberChange> TransferHostAsync(Session host, int clientId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var change = await CommitAsync(host.Room, r => r.DecideTransfer(host.ClientId, clientId), cancellationToken);
        return change.Refusal == Refusal.Unchanged ? MemberChange.Done : ToMemberChange(change);
    }

    /// <summary>Closes <paramref name="room"/>; with <paramref name="byHost"/>, only while that session is host.</summary>
    public async ValueTask<MemberChange> CloseAsync(Room room, string reason, ushort closeCode, string? message, Session? byHost, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        var change = await CommitAsync(room, r => r.DecideClose(reason, closeCode, message, byHost?.ClientId ?? 0), cancellationToken);
        return ToMemberChange(change);
    }

    /// <summary>A backend's change to a room; null leaves a value as it is.</summary>
    public async ValueTask<MemberChange> UpdateAsync(Room room, int? maxClients, bool? locked, RoomMetadata? metadata, int? resumeWindowSeconds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        var change = await CommitAsync(room, r => r.DecideUpdate(maxClients, locked, metadata, resumeWindowSeconds), cancellationToken);
        return ToMemberChange(change);
    }

    /// <summary>Closes <paramref name="room"/> with `expired` if it has been empty for <paramref name="ttl"/>.</summary>
    public async ValueTask<bool> ExpireAsync(Room room, TimeSpan ttl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(room);
        var change = await CommitAsync(room, r => r.DecideExpire(timeProvider.GetUtcNow(), ttl, RoomClosedReasons.Expired), cancellationToken);
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
                var change = await CommitAsync(room, r => r.DecideTimeout(member.ClientId, now, LeaveReasons.Timeout), cancellationToken);
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
            var away = await CommitAsync(room, r => r.DecideAway(clientId, timeProvider.GetUtcNow()), cancellationToken);
            if (away.Refusal != Refusal.NotResumable)
            {
                return away.Status != CommitStatus.Unavailable;
            }
        }

        var left = await CommitAsync(room, r => r.DecideLeave(clientId, LeaveReasons.Disconnected), cancellationToken);
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

            var change = room is null
                ? new Change(Refusal.RoomClosed, CommitStatus.RoomGone)
                : await CommitAsync(room, r => r.DecideLeave(orphan.ClientId, orphan.Reason), cancellationToken);
            if (change is not { Refusal: Refusal.Accepted, Status: CommitStatus.Unavailable })
            {
                orphans.Remove(orphan);
                released++;
            }
        }

        return released;
    }

    /// <summary>
    /// The room's copy for a change (<see cref="IRoomBackplane.AcquireAsync"/>): null with <c>Unavailable</c> false
    /// when there is no such room, null with <c>Unavailable</c> true when the store could not be reached in time.
    /// </summary>
    public async ValueTask<(Room? Room, bool Unavailable)> AcquireAsync(string roomId, CancellationToken cancellationToken)
    {
        try
        {
            return (await backplane.AcquireAsync(roomId, cancellationToken), false);
        }
        catch (RoomStoreUnavailableException e)
        {
            LogStoreUnavailable(logger, "acquire", e.Message);
            return (null, true);
        }
    }

    /// <summary>Decide, commit, and decide again while the copy the decision saw was out of date.</summary>
    private async ValueTask<Change> CommitAsync<TEvent>(Room room, Func<Room, Decision<TEvent>> decide, CancellationToken cancellationToken)
        where TEvent : RoomEvent
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var decision = decide(room);
            if (!decision.Accepted)
            {
                // A refusal from a copy that is behind (a cluster node that has not yet applied a leave, a return) could
                // be wrong: bring the copy up to date and decide again (a current copy's refusal stands).
                if (await RefreshAsync(room, cancellationToken))
                {
                    continue;
                }

                return new Change(decision.Refusal, CommitStatus.Committed);
            }

            CommitResult result;
            try
            {
                result = await backplane.CommitAsync(room, decision.Event!, decision.Version, cancellationToken);
            }
            catch (RoomStoreUnavailableException e)
            {
                LogStoreUnavailable(logger, typeof(TEvent).Name, e.Message);
                result = CommitResult.Unavailable;
            }

            if (result.Status != CommitStatus.Conflict)
            {
                return new Change(Refusal.Accepted, result.Status);
            }
        }

        LogTooManyConflicts(logger, room.Id, typeof(TEvent).Name);
        return new Change(Refusal.Accepted, CommitStatus.Unavailable);
    }

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

    private async ValueTask<bool> RefreshAsync(Room room, CancellationToken cancellationToken)
    {
        try
        {
            return await backplane.RefreshAsync(room, cancellationToken);
        }
        catch (RoomStoreUnavailableException)
        {
            return false;
        }
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

    private ResumeOutcome Counted(ResumeOutcome outcome)
    {
        stats.RecordResume(outcome == ResumeOutcome.Resumed ? null : outcome.ToString());
        return outcome;
    }

    private static void Release(IReadOnlyList<OutboundFrame>? frames)
    {
        if (frames is null)
        {
            return;
        }

        foreach (var frame in frames)
        {
            frame.Release();
        }
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

    /// <summary>What became of a change: refused by the rules, or accepted and then committed (or not).</summary>
    private readonly record struct Change(Refusal Refusal, CommitStatus Status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Room store unavailable during {Operation}: {Error}")]
    private static partial void LogStoreUnavailable(ILogger logger, string operation, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Room {RoomId}: {Event} kept conflicting with other changes; answered unavailable")]
    private static partial void LogTooManyConflicts(ILogger logger, string roomId, string @event);
}
