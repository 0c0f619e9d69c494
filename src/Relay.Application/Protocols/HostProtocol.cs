using Relay.Domain.Rooms;
using Relay.Domain.Sessions;

namespace Relay.Application.Protocols;

/// <summary>`host`: clients talk only to the host, the host talks to everyone, and the room closes when the host leaves.</summary>
public sealed class HostProtocol : IRoomProtocol
{
    public const string ProtocolName = "host";

    public string Name => ProtocolName;

    public bool ReceivesBroadcast(Room room, Session sender, Session recipient)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(recipient);
        var hostId = room.HostId;
        return hostId is { } id && (sender.ClientId == id || recipient.ClientId == id);
    }

    public bool MaySend(Room room, Session sender, Session target) => ReceivesBroadcast(room, sender, target);

    public HostLeftAction OnHostLeft(Room room) => HostLeftAction.CloseRoom;
}
