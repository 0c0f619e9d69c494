using Relay.Domain.Sessions;

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
/// A room's relaying rules. Implementations live in the application layer; a room holds the one it was
/// created with, so the hot path never looks a protocol up.
/// </summary>
public interface IRoomProtocol
{
    /// <summary>The name clients and backends use (`mesh`, `host`).</summary>
    string Name { get; }

    /// <summary>Whether <paramref name="recipient"/> receives a broadcast from <paramref name="sender"/> (never called with the sender itself).</summary>
    bool ReceivesBroadcast(Room room, Session sender, Session recipient);

    /// <summary>Whether <paramref name="sender"/> may send to <paramref name="target"/>.</summary>
    bool MaySend(Room room, Session sender, Session target);

    /// <summary>What the room does when its host leaves, is kicked or disconnects.</summary>
    HostLeftAction OnHostLeft(Room room);
}
