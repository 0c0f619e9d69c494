using Relay.Domain.Rooms;

namespace Relay.Application.Protocols;

/// <summary>`host`: clients talk only to the host, the host talks to everyone, and the room closes when the host leaves.</summary>
public sealed class HostProtocol : IRoomProtocol
{
    public const string ProtocolName = "host";

    public string Name => ProtocolName;

    public Audience BroadcastAudience(int senderId, int? hostId) => hostId switch
    {
        null => Audience.Nobody,
        { } id when id == senderId => Audience.AllBut(senderId),
        { } id => Audience.Single(id),
    };

    public bool MaySend(int senderId, int targetId, int? hostId) => hostId is { } id && (senderId == id || targetId == id);

    public HostLeftAction OnHostLeft(HostAssignment hostAssignment) => HostLeftAction.CloseRoom;
}
