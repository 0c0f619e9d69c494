using Relay.Application.Protocols;
using Relay.Domain.Connections;
using Relay.Domain.Rooms;

namespace Relay.UnitTests.TestSupport;

/// <summary>Builds real rooms with known secrets, and seats members as the applier does (decide, then apply).</summary>
internal static class Rooms
{
    public const string Secret = "member-secret-1234";
    public const string HostSecret = "host-secret-5678";

    public static readonly MeshProtocol Mesh = new();
    public static readonly HostProtocol Host = new();

    public static ProtocolRegistry Registry() => new([Mesh, Host]);

    public static RoomSettings Settings(
        IRoomProtocol? protocol = null,
        HostAssignment hostAssignment = HostAssignment.First,
        int maxClients = 16,
        string id = "room-1",
        string metadata = "{}",
        int resumeWindowSeconds = 0,
        string epoch = "epoch-1") =>
        new(id, SecretHash.Of(Secret), SecretHash.Of(HostSecret), protocol ?? Mesh, hostAssignment, maxClients,
            RoomMetadata.FromJson(metadata), resumeWindowSeconds, epoch);

    public static Room Create(
        IRoomProtocol? protocol = null,
        HostAssignment hostAssignment = HostAssignment.First,
        int maxClients = 16,
        string id = "room-1",
        DateTimeOffset? createdAt = null,
        string metadata = "{}",
        int resumeWindowSeconds = 0) =>
        new(Settings(protocol, hostAssignment, maxClients, id, metadata, resumeWindowSeconds), createdAt ?? ManualTimeProvider.Epoch);

    /// <summary>What a client presenting the member secret (or the host secret) asks for.</summary>
    public static JoinAttempt Attempt(string? name = null, bool hostSecret = false, DateTimeOffset? now = null, bool resumable = false, string node = "local") =>
        new(hostSecret ? SecretMatch.Host : SecretMatch.Member, name, null, resumable, resumable ? SecretHash.Digest("token-" + name) : null,
            node, "join-" + Guid.NewGuid().ToString("N"), now ?? ManualTimeProvider.Epoch);

    /// <summary>
    /// Seats a member in <paramref name="room"/> the way a committed join is applied (decided, then applied with the
    /// room's next sequence numbers): on <paramref name="connection"/>, or a new <see cref="TestConnection"/>.
    /// </summary>
    public static Session Join(Room room, string? name = null, bool hostSecret = false, DateTimeOffset? now = null, IConnection? connection = null, bool resumable = false)
    {
        var decision = room.DecideJoin(Attempt(name, hostSecret, now, resumable));
        Assert.True(decision.Accepted, $"join refused: {decision.Refusal}");
        return Apply(room, decision.Event!, connection ?? new TestConnection());
    }

    /// <summary>Applies a decided join as the applier does: its last sequence number, then the member is seated.</summary>
    public static Session Apply(Room room, MemberJoined joined, IConnection? connection, string? remoteNode = null)
    {
        var session = room.ApplyJoin(joined, room.Seq + joined.Width, connection, connection is null ? remoteNode ?? "node-b" : null);
        Assert.NotNull(session);
        return session;
    }

    /// <summary>The departure of <paramref name="member"/> with the room's host rule, decided and applied.</summary>
    public static MemberLeft Leave(Room room, Session member, string reason = "left", DateTimeOffset? now = null)
    {
        var decision = room.DecideLeave(member.ClientId, reason);
        Assert.True(decision.Accepted, $"leave refused: {decision.Refusal}");
        var (left, _) = room.ApplyLeave(decision.Event!, room.Seq + decision.Event!.Width, now ?? ManualTimeProvider.Epoch);
        Assert.Same(member, left);
        return decision.Event!;
    }

    /// <summary>The connection a member was seated on, as a <see cref="TestConnection"/>.</summary>
    public static TestConnection ConnectionOf(Session member) => Assert.IsType<TestConnection>(member.Connection);
}
