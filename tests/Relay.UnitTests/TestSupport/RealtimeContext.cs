using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Options;
using Relay.Application.Realtime.Delivery;
using Relay.Application.Realtime.Parsing;
using Relay.Application.Rooms;
using Relay.Application.Rooms.Events;
using Relay.Application.Rooms.Membership;
using Relay.Domain.Rooms;
using Relay.Infrastructure.Backplanes.InMemory;

namespace Relay.UnitTests.TestSupport;

/// <summary>
/// The real collaborators of the realtime handlers, wired as the server wires them on a single node: clock, stats,
/// the in-memory backplane with the applier of room events attached, membership, the room manager and the one
/// delivery path.
/// </summary>
internal sealed class RealtimeContext
{
    public RealtimeContext(RelayOptions? options = null, Func<InMemoryBackplane, IRoomBackplane>? wrap = null)
    {
        OptionsValue = options ?? new RelayOptions();
        var wrapped = Options.Create(OptionsValue);
        Stats = new RelayStats(Time);
        Delivery = new RoomDelivery(Stats, Time);
        InMemory = new InMemoryBackplane(wrapped);
        Backplane = wrap?.Invoke(InMemory) ?? InMemory;
        var commits = new ChangeCommitter(Backplane, NullLogger<RoomMembership>.Instance);
        Membership = new RoomMembership(Backplane, commits, Delivery, Pending, Orphans, Time);
        Resumption = new RoomResumption(Backplane, commits, Pending, Stats, Time);
        Applier = new RoomEventApplier(new NodeIdentity(InMemoryBackplane.LocalNodeId), Delivery, Pending, Orphans, Time, NullLogger<RoomEventApplier>.Instance);
        InMemory.Attach(Applier);
        Factory = new RoomFactory(Time);
        Manager = new RoomManager(Backplane, Factory, Membership, wrapped);
        Relays = new RoomRelays(Backplane, Delivery, Stats);
    }

    private int _lastRoom;

    public ManualTimeProvider Time { get; } = new();

    public RelayOptions OptionsValue { get; }

    public RelayStats Stats { get; }

    public RoomDelivery Delivery { get; }

    public InMemoryBackplane InMemory { get; }

    /// <summary>The backplane membership and the manager use (<see cref="InMemory"/> unless a test wraps it).</summary>
    public IRoomBackplane Backplane { get; }

    public PendingArrivals Pending { get; } = new();

    public Orphans Orphans { get; } = new();

    public RoomMembership Membership { get; }

    public RoomResumption Resumption { get; }

    public RoomEventApplier Applier { get; }

    public RoomFactory Factory { get; }

    public RoomManager Manager { get; }

    public RoomRelays Relays { get; }

    /// <summary>
    /// A room with the known secrets of <see cref="Rooms"/> (<see cref="Rooms.Secret"/>, <see cref="Rooms.HostSecret"/>),
    /// stored in the backplane as the room manager stores the rooms its factory makes.
    /// </summary>
    public CreatedRoom CreateRoom(
        IRoomProtocol? protocol = null,
        HostAssignment hostAssignment = HostAssignment.First,
        int maxClients = 16,
        string? id = null,
        int resumeWindowSeconds = 0)
    {
        var room = Rooms.Create(protocol, hostAssignment, maxClients, id ?? "room-" + Interlocked.Increment(ref _lastRoom), Time.GetUtcNow(), resumeWindowSeconds: resumeWindowSeconds);
        var pending = Backplane.CreateAsync(room, OptionsValue.MaxRooms, CancellationToken.None);
        Assert.True(pending.IsCompletedSuccessfully);
        Assert.Equal(CreateRoomStatus.Created, pending.Result);
        return new CreatedRoom(room, Rooms.Secret, Rooms.HostSecret);
    }

    public TestClient NewClient() => new(Time);

    /// <summary>Joins <paramref name="client"/> to <paramref name="room"/> through <see cref="Membership"/> (as `connect` does).</summary>
    public JoinOutcome Join(TestClient client, Room room, string? name = null, bool hostSecret = false, bool resume = false)
    {
        var request = new JoinRequest(room.Id, SecretHash.Digest(hostSecret ? Rooms.HostSecret : Rooms.Secret), null, name, null, resume, MessageRef.None);
        var pending = Membership.JoinAsync(client.Client, request, CancellationToken.None);
        Assert.True(pending.IsCompletedSuccessfully);
        return pending.Result;
    }

    /// <summary>A new client joined to <paramref name="room"/>; what the join sent is cleared.</summary>
    public TestClient Joined(Room room, string? name = null, bool hostSecret = false, bool resume = false)
    {
        var client = NewClient();
        Assert.Equal(JoinOutcome.Joined, Join(client, room, name, hostSecret, resume));
        foreach (var member in room.Members)
        {
            (member.Connection as TestConnection)?.Clear();
        }

        return client;
    }

    /// <summary>
    /// Clients seated in <paramref name="room"/> in order through <see cref="Membership"/> (the first is host with
    /// <c>first</c>); what the joins sent (`connected`, `client_joined`, `host_changed`) is cleared.
    /// </summary>
    public TestClient[] Seat(Room room, int count, bool resume = false) =>
        [.. Enumerable.Range(1, count).Select(i => Joined(room, "c" + i, resume: resume))];

    /// <summary>`leave` of <paramref name="client"/> through <see cref="Membership"/>.</summary>
    public MemberChange Leave(TestClient client, string reason = LeaveReasons.Left)
    {
        var session = client.Session;
        Assert.NotNull(session);
        var pending = Membership.LeaveAsync(session, client.Id, reason, CancellationToken.None);
        Assert.True(pending.IsCompletedSuccessfully);
        return pending.Result;
    }
}
