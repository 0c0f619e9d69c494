using Microsoft.Extensions.Logging;
using Relay.Application.Abstractions;
using Relay.Domain.Rooms;

namespace Relay.Application.Rooms.Membership;

/// <summary>
/// The backplane's side of a change: acquire this node's copy of the room, decide, commit the decided event, and
/// decide again while the copy the decision saw turns out to be out of date. A store that cannot be reached is an
/// answer (unavailable), logged, never an exception. It logs under <see cref="RoomMembership"/>'s category, the one
/// the log table of docs/operations.md names.
/// </summary>
public sealed partial class ChangeCommitter(IRoomBackplane backplane, ILogger<RoomMembership> logger)
{
    /// <summary>How often a decision is made again when the copy it was based on keeps turning out out of date.</summary>
    public const int MaxAttempts = 64;

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
    public async ValueTask<Change> CommitAsync<TEvent>(Room room, Func<Room, Decision<TEvent>> decide, CancellationToken cancellationToken)
        where TEvent : RoomEvent
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(decide);
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

    /// <summary>Brings the copy up to the stored version: true when it was behind (decide again); false when it was current or the store could not be reached.</summary>
    public async ValueTask<bool> RefreshAsync(Room room, CancellationToken cancellationToken)
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Room store unavailable during {Operation}: {Error}")]
    private static partial void LogStoreUnavailable(ILogger logger, string operation, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Room {RoomId}: {Event} kept conflicting with other changes; answered unavailable")]
    private static partial void LogTooManyConflicts(ILogger logger, string roomId, string @event);
}

/// <summary>What became of a change: refused by the rules, or accepted and then committed (or not).</summary>
public readonly record struct Change(Refusal Refusal, CommitStatus Status);
