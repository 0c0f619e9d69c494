using Relay.Domain.Rooms;

namespace Relay.Domain.Sessions;

/// <summary>
/// One client connection, whatever carries it: its client id and name while in a room,
/// a safe non-blocking write and a close. Membership is changed only by <see cref="Room"/>, under its lock.
/// </summary>
public sealed class Session
{
    private readonly ISessionTransport _transport;
    private Room? _room;
    private int _clientId;

    public Session(ISessionTransport transport, long connectionId, DateTimeOffset openedAt)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        ConnectionId = connectionId;
        OpenedAt = openedAt;
    }

    private Session(string nodeId, DateTimeOffset openedAt)
    {
        _transport = RemoteTransport.Instance;
        NodeId = nodeId;
        OpenedAt = openedAt;
    }

    /// <summary>
    /// A member whose connection lives on another node of the cluster (<paramref name="nodeId"/>). Writes to it
    /// are not delivered here: the node that holds the connection relays to it from the room's channel.
    /// </summary>
    public static Session Remote(string nodeId, DateTimeOffset joinedAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        return new Session(nodeId, joinedAt);
    }

    /// <summary>The cluster node holding a remote member's connection; null for a connection on this node.</summary>
    public string? NodeId { get; }

    /// <summary>True for a member connected to another node.</summary>
    public bool IsRemote => NodeId is not null;

    /// <summary>Server-wide id of the connection (for logs); not the room-scoped client id.</summary>
    public long ConnectionId { get; }

    public DateTimeOffset OpenedAt { get; }

    /// <summary>The room the session is in, or null.</summary>
    public Room? Room => Volatile.Read(ref _room);

    /// <summary>The room-scoped client id; 0 while not in a room.</summary>
    public int ClientId => Volatile.Read(ref _clientId);

    public string? Name { get; private set; }

    public DateTimeOffset JoinedAt { get; private set; }

    public bool IsHost
    {
        get
        {
            var room = Room;
            var id = ClientId;
            return room is not null && id != 0 && room.HostId == id;
        }
    }

    public bool TrySend(OutboundFrame frame) => _transport.TrySend(frame);

    /// <summary>
    /// Queues a relayed frame only while the session is still in <paramref name="room"/>: a relay that read
    /// the member list just before the session left does not reach it after its `left` or `room_closed`.
    /// </summary>
    public bool TrySendInRoom(Room room, OutboundFrame frame) => _transport.TrySend(frame, this, room);

    public void Close(ushort code, string reason) => _transport.Close(code, reason);

    internal void Attach(Room room, int clientId, string? name, DateTimeOffset joinedAt)
    {
        Name = name;
        JoinedAt = joinedAt;
        Volatile.Write(ref _clientId, clientId);
        Volatile.Write(ref _room, room);
    }

    internal void Detach()
    {
        Volatile.Write(ref _room, null);
        Volatile.Write(ref _clientId, 0);
        _transport.OnLeftRoom();
    }

    /// <summary>The transport of a remote member: nothing is written here.</summary>
    private sealed class RemoteTransport : ISessionTransport
    {
        public static readonly RemoteTransport Instance = new();

        public bool TrySend(OutboundFrame frame) => false;

        public bool TrySend(OutboundFrame frame, Session member, Room room) => false;

        public void Close(ushort code, string reason)
        {
        }

        public void OnLeftRoom()
        {
        }
    }
}
