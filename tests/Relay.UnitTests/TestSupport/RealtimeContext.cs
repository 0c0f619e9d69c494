using Microsoft.Extensions.Logging.Abstractions;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Realtime;
using Relay.Domain.Rooms;
using Relay.Infrastructure.Rooms;

namespace Relay.UnitTests.TestSupport;

/// <summary>The real collaborators of the realtime handlers: clock, stats, in-memory room manager and coordinator.</summary>
internal sealed class RealtimeContext
{
    public RealtimeContext()
    {
        Manager = new InMemoryRoomManager(new RoomFactory(Time), Time);
        Stats = new RelayStats(Time);
        Coordinator = new RoomCoordinator(Time, NullLogger.Instance, Manager.Remove);
    }

    public ManualTimeProvider Time { get; } = new();

    public InMemoryRoomManager Manager { get; }

    public RelayStats Stats { get; }

    public RoomCoordinator Coordinator { get; }

    /// <summary>A room registered in <see cref="Manager"/>, with its clear secrets.</summary>
    public CreatedRoom CreateRoom(
        IRoomProtocol? protocol = null,
        HostAssignment hostAssignment = HostAssignment.First,
        int maxClients = 16,
        string? id = null)
    {
        var spec = new RoomSpec(id, Rooms.Secret, protocol ?? Rooms.Mesh, hostAssignment, maxClients, RoomMetadata.Empty);
        var pending = Manager.CreateAsync(spec, CancellationToken.None);
        Assert.True(pending.IsCompletedSuccessfully);
        var outcome = pending.Result;
        Assert.Equal(CreateRoomStatus.Created, outcome.Status);
        return outcome.Created!;
    }

    /// <summary>Test clients seated in <paramref name="room"/> in order (the first is host with <c>first</c>).</summary>
    public TestClient[] Seat(Room room, int count) =>
        [.. Enumerable.Range(1, count).Select(i => Rooms.Join(room, "c" + i, now: Time.GetUtcNow()))];
}
