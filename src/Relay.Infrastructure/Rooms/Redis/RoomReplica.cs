using Relay.Application.Abstractions;
using Relay.Application.Realtime.Parsing;
using Relay.Domain.Rooms;
using Relay.Domain.Sessions;
using StackExchange.Redis;

namespace Relay.Infrastructure.Rooms.Redis;

/// <summary>
/// This node's copy of a shared room, kept while the node has members (or joiners) in it: a real
/// <see cref="Room"/> whose members are this node's sessions plus stand-ins for members elsewhere, so the
/// protocol rules and handlers run unchanged. It changes only by applying the room's events in channel order.
/// Everything here is guarded by <see cref="Sync"/>.
/// </summary>
internal sealed class RoomReplica(string id, RedisChannel channel)
{
    public string Id { get; } = id;

    /// <summary>The room's channel: its events and relays.</summary>
    public RedisChannel Channel { get; } = channel;

    public Lock Sync { get; } = new();

    /// <summary>Null until the first snapshot is loaded.</summary>
    public Room? Room { get; set; }

    /// <summary>The sequence number of the last event applied.</summary>
    public long Seq { get; set; }

    /// <summary>False while a snapshot is loading: events are buffered meanwhile.</summary>
    public bool Ready { get; set; }

    /// <summary>Dropped replicas are never used again; a new one is made on the next join.</summary>
    public bool Dropped { get; set; }

    public ChannelMessageQueue? Subscription { get; set; }

    /// <summary>Since when no local member or joiner needs this replica; null while one does.</summary>
    public DateTimeOffset? IdleSince { get; set; }

    public Task<bool>? Loading { get; set; }

    public List<ChannelMessage> Buffered { get; } = [];

    /// <summary>Joins of this node's sessions waiting for their event, by join token.</summary>
    public Dictionary<string, PendingJoin> PendingJoins { get; } = new(StringComparer.Ordinal);

    /// <summary>Departures of this node's sessions waiting for their event, by client id.</summary>
    public Dictionary<int, TaskCompletionSource> PendingLeaves { get; } = [];

    public bool HasLocalMembers
    {
        get
        {
            if (Room is null)
            {
                return false;
            }

            foreach (var member in Room.Members)
            {
                if (!member.IsRemote)
                {
                    return true;
                }
            }

            return false;
        }
    }
}

/// <summary>A local session whose join was decided by the cluster but not yet applied here.</summary>
internal sealed record PendingJoin(Session Session, MessageRef Ref)
{
    public TaskCompletionSource<JoinOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
