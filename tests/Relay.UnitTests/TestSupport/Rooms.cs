using NSubstitute;
using Relay.Application.Protocols;
using Relay.Domain.Rooms;

namespace Relay.UnitTests.TestSupport;

/// <summary>Builds real rooms with known secrets.</summary>
internal static class Rooms
{
    public const string Secret = "member-secret-1234";
    public const string HostSecret = "host-secret-5678";

    public static readonly MeshProtocol Mesh = new();
    public static readonly HostProtocol Host = new();

    public static ProtocolRegistry Registry() => new([Mesh, Host]);

    public static Room Create(
        IRoomProtocol? protocol = null,
        HostAssignment hostAssignment = HostAssignment.First,
        int maxClients = 16,
        string id = "room-1",
        DateTimeOffset? createdAt = null,
        string metadata = "{}") =>
        new(
            id,
            SecretHash.Of(Secret),
            SecretHash.Of(HostSecret),
            protocol ?? Mesh,
            hostAssignment,
            maxClients,
            RoomMetadata.FromJson(metadata),
            createdAt ?? ManualTimeProvider.Epoch);

    /// <summary>Seats a new test client in <paramref name="room"/> (as the application does, under the gate).</summary>
    public static TestClient Join(Room room, string? name = null, bool hostSecret = false, DateTimeOffset? now = null)
    {
        var client = new TestClient();
        JoinResult result;
        lock (room.Gate)
        {
            result = room.Join(client.Session, name, hostSecret, now ?? ManualTimeProvider.Epoch);
        }

        Assert.Equal(JoinStatus.Joined, result.Status);
        client.Transport.ClearReceivedCalls();
        return client;
    }
}
