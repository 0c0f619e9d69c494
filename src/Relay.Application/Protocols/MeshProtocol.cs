using Relay.Domain.Rooms;
using Relay.Domain.Sessions;

namespace Relay.Application.Protocols;

/// <summary>`mesh`: everyone talks to everyone; when the host leaves, the longest-connected client takes over (with `first`).</summary>
public sealed class MeshProtocol : IRoomProtocol
{
    public const string ProtocolName = "mesh";

    public string Name => ProtocolName;

    public bool ReceivesBroadcast(Room room, Session sender, Session recipient) => true;

    public bool MaySend(Room room, Session sender, Session target) => true;

    public HostLeftAction OnHostLeft(Room room)
    {
        ArgumentNullException.ThrowIfNull(room);
        return room.HostAssignment == HostAssignment.First ? HostLeftAction.PassToLongestConnected : HostLeftAction.NoHost;
    }
}
