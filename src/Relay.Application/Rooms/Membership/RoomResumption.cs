using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Realtime;
using Relay.Application.Realtime.Delivery;
using Relay.Application.Realtime.Frames;
using Relay.Domain.Frames;
using Relay.Domain.Rooms;

namespace Relay.Application.Rooms.Membership;

/// <summary>
/// A client coming back (`resume`), the same way on one node and in a cluster: the room's rules find the seat its
/// resume token holds (<see cref="RoomDecider.DecideBack"/>), the return is committed together with reading what the
/// client missed, and the client gets `resumed`, then every missed room event, then live events; or nothing at all.
/// </summary>
public sealed class RoomResumption(
    IRoomBackplane backplane,
    ChangeCommitter commits,
    PendingArrivals pending,
    RelayStats stats,
    TimeProvider timeProvider)
{
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

        var (room, unavailable) = await commits.AcquireAsync(request.RoomId, cancellationToken);
        if (room is null)
        {
            return Counted(unavailable ? ResumeOutcome.Unavailable : ResumeOutcome.RoomNotFound);
        }

        try
        {
            var presented = SecretHash.Digest(request.Token);
            var newToken = RoomFactory.NewToken(RoomMembership.ResumeTokenBytes);
            var newDigest = SecretHash.Digest(newToken);
            var token = pending.NewToken(backplane.NodeId);
            var gate = new ReplayGate(client.Connection);
            var arrival = pending.Register(token, client, request.Ref, newToken, gate);
            try
            {
                for (var attempt = 0; attempt < ChangeCommitter.MaxAttempts; attempt++)
                {
                    var decision = room.DecideBack(presented, newDigest, backplane.NodeId, token, timeProvider.GetUtcNow());
                    if (!decision.Accepted)
                    {
                        if (await commits.RefreshAsync(room, cancellationToken))
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
}
