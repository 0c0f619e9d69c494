namespace Relay.Domain.Rooms;

/// <summary>What happens to a room when its host leaves.</summary>
public enum HostLeftAction
{
    /// <summary>The longest-connected remaining client becomes host.</summary>
    PassToLongestConnected,

    /// <summary>The room goes on without a host.</summary>
    NoHost,

    /// <summary>The room closes (`room_closed` with `host_left`).</summary>
    CloseRoom,
}

/// <summary>
/// A room's relaying rules, as pure functions of client ids and the room's host at one moment (read once per
/// relay, so that a relay racing a host change is judged against one host, never two). Implementations live in
/// the application layer; a room holds the one it was created with, so the hot path never looks a protocol up.
/// </summary>
public interface IRoomProtocol
{
    /// <summary>The name clients and backends use (`mesh`, `host`).</summary>
    string Name { get; }

    /// <summary>Who receives a broadcast from <paramref name="senderId"/> while <paramref name="hostId"/> is host (the sender never does).</summary>
    Audience BroadcastAudience(int senderId, int? hostId);

    /// <summary>Whether <paramref name="senderId"/> may send to <paramref name="targetId"/> while <paramref name="hostId"/> is host.</summary>
    bool MaySend(int senderId, int targetId, int? hostId);

    /// <summary>What a room with <paramref name="hostAssignment"/> does when its host leaves, is kicked or times out.</summary>
    HostLeftAction OnHostLeft(HostAssignment hostAssignment);
}
