using Relay.Domain.Rooms;

namespace Relay.Application.Protocols;

/// <summary>`mesh`: everyone talks to everyone; when the host leaves, the longest-connected client takes over (with `first`).</summary>
public sealed class MeshProtocol : IRoomProtocol
{
    public const string ProtocolName = "mesh";

    public string Name => ProtocolName;

    public Audience BroadcastAudience(int senderId, int? hostId) => Audience.AllBut(senderId);

    public bool MaySend(int senderId, int targetId, int? hostId) => true;

    public HostLeftAction OnHostLeft(HostAssignment hostAssignment) =>
        hostAssignment == HostAssignment.First ? HostLeftAction.PassToLongestConnected : HostLeftAction.NoHost;
}
