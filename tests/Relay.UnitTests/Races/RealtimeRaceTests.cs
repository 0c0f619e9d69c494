using System.Text;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Broadcast;
using Relay.Application.Realtime.Connect;
using Relay.Application.Realtime.Kick;
using Relay.Application.Realtime.Leave;
using Relay.Application.Realtime.Parsing;
using Relay.Application.Realtime.TransferHost;
using Relay.Domain.Rooms;
using Relay.Domain.Frames;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Races;

/// <summary>
/// Unit-level races: each scenario runs a few hundred times on threads released together. Where the outcome
/// depends on which operation wins, the scenario runs on (up to <see cref="MaxIterations"/>) until each ordering
/// has been seen at least once, and fails if one never was: a race that always resolves one way tests nothing.
/// </summary>
public sealed class RealtimeRaceTests
{
    private const int Iterations = 300;
    private const int MaxIterations = 20 * Iterations;

    /// <summary>True while the scenario should run again: fewer than <see cref="Iterations"/> runs, or an ordering still unseen.</summary>
    private static bool MoreRounds(int done, IReadOnlyDictionary<string, int> outcomes, int orderings) =>
        done < MaxIterations && (done < Iterations || outcomes.Count < orderings);

    private static void Count(Dictionary<string, int> outcomes, string key) => outcomes[key] = outcomes.GetValueOrDefault(key) + 1;

    private static void AssertEveryOrderingOccurred(IReadOnlyDictionary<string, int> outcomes, params string[] orderings) =>
        Assert.True(
            orderings.All(outcomes.ContainsKey) && outcomes.Count == orderings.Length,
            $"expected each of [{string.Join(", ", orderings)}] at least once; saw {string.Join(", ", outcomes.Select(o => $"{o.Key} x{o.Value}"))}");

    /// <summary>Runs two operations released together, the first one started first in every other round.</summary>
    private static async Task<(T First, T Second)> RaceAsync<T>(int round, Func<ValueTask<T>> first, Func<ValueTask<T>> second)
    {
        if (round % 2 == 0)
        {
            var results = await Concurrently.RunAsync(first, second);
            return (results[0], results[1]);
        }

        var swapped = await Concurrently.RunAsync(second, first);
        return (swapped[1], swapped[0]);
    }

    private static void AssertHostIsAMember(Room room)
    {
        if (room.HostId is { } hostId)
        {
            Assert.NotNull(room.Find(hostId));
        }
    }

    private static void AssertEveryFrameReleased(IEnumerable<TestClient> clients)
    {
        foreach (var frame in clients.SelectMany(c => c.Frames))
        {
            Assert.Throws<ObjectDisposedException>(() => frame.Frame.Memory);
        }
    }

    [Fact]
    public async Task Two_sessions_joining_the_last_seat_exactly_one_joins()
    {
        var winners = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; MoreRounds(i, winners, 2); i++)
        {
            var ctx = new RealtimeContext();
            var handler = new ConnectHandler(ctx.Membership);
            var room = ctx.CreateRoom(maxClients: 2).Room;
            var member = ctx.Joined(room);
            var a = ctx.NewClient();
            var b = ctx.NewClient();

            var (ra, rb) = await RaceAsync(
                i,
                () => handler.Handle(new ConnectCommand(a.Client, room.Id, Rooms.Secret, "a", false, MessageRef.None), CancellationToken.None),
                () => handler.Handle(new ConnectCommand(b.Client, room.Id, Rooms.Secret, "b", false, MessageRef.None), CancellationToken.None));
            RealtimeResult[] results = [ra, rb];

            Assert.Single(results, r => !r.IsError);
            Assert.Single(results, r => r.ErrorCode == ErrorCodes.RoomFull);
            Assert.Equal(2, room.ClientCount);
            var (winner, loser) = a.Session is null ? (b, a) : (a, b);
            Assert.Null(loser.Session);
            Assert.Empty(loser.Frames);
            Assert.Equal(["connected"], winner.Types);
            Assert.Equal(winner.ClientId, member.Single("client_joined").GetProperty("clientId").GetInt32());
            Assert.Equal(2, winner.ClientId);
            Count(winners, winner == a ? "a" : "b");
        }

        AssertEveryOrderingOccurred(winners, "a", "b");
    }

    [Theory]
    [InlineData("mesh")]
    [InlineData("host")]
    public async Task Host_leaving_during_broadcasts_does_not_throw_and_every_frame_is_released(string protocol)
    {
        for (var i = 0; i < Iterations; i++)
        {
            var ctx = new RealtimeContext();
            var room = ctx.CreateRoom(protocol == "host" ? Rooms.Host : Rooms.Mesh).Room;
            var c = ctx.Seat(room, 4);
            var leave = new LeaveHandler(ctx.Membership);
            var broadcast = new BroadcastHandler(ctx.Relays);
            var payload = Encoding.UTF8.GetBytes("{\"n\":" + i + "}");

            var results = await Concurrently.RunAsync(
                () => leave.Handle(new LeaveCommand(c[0].Client, MessageRef.None), CancellationToken.None),
                () => broadcast.Handle(new BroadcastCommand(c[1].Client, payload, FrameKind.Text), CancellationToken.None),
                () => broadcast.Handle(new BroadcastCommand(c[2].Client, payload, FrameKind.Text), CancellationToken.None),
                () => broadcast.Handle(new BroadcastCommand(c[0].Client, payload, FrameKind.Text), CancellationToken.None));

            Assert.False(results[0].IsError);
            Assert.All(results.Skip(1), r => Assert.True(!r.IsError || r.ErrorCode == ErrorCodes.NotConnected, r.ErrorCode));
            AssertEveryFrameReleased(c);
            AssertHostIsAMember(room);
            Assert.Null(c[0].Session);
            if (protocol == "host")
            {
                Assert.True(room.IsClosed);
                Assert.All(c.Skip(1), x => Assert.Single(x.Frames, f => f.Kind == FrameKind.Text && f.Type == "room_closed"));
            }
            else
            {
                Assert.Equal(2, room.HostId);
                Assert.All(c.Skip(1), x => Assert.Equal(2, x.SingleOfType("host_changed").GetProperty("hostId").GetInt32()));
            }
        }
    }

    [Theory]
    [InlineData("mesh")]
    [InlineData("host")]
    public async Task Transfer_host_to_a_leaving_client_never_leaves_a_host_that_is_not_a_member(string protocol)
    {
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; MoreRounds(i, outcomes, 2); i++)
        {
            var ctx = new RealtimeContext();
            var room = ctx.CreateRoom(protocol == "host" ? Rooms.Host : Rooms.Mesh).Room;
            var c = ctx.Seat(room, 3);
            var transfer = new TransferHostHandler(ctx.Membership);
            var leave = new LeaveHandler(ctx.Membership);

            var (transferResult, leaveResult) = await RaceAsync(
                i,
                () => transfer.Handle(new TransferHostCommand(c[0].Client, 2), CancellationToken.None),
                () => leave.Handle(new LeaveCommand(c[1].Client, MessageRef.None), CancellationToken.None));

            Assert.False(leaveResult.IsError);
            Assert.True(!transferResult.IsError || transferResult.ErrorCode == ErrorCodes.UnknownClient, transferResult.ErrorCode);
            AssertHostIsAMember(room);
            Assert.Null(c[1].Session);

            var hostChanges = c[0].Frames.Where(f => f.Kind == FrameKind.Text && f.Type == "host_changed")
                .Select(f => f.Json.GetProperty("hostId").GetInt32()).ToArray();
            if (transferResult.IsError)
            {
                Assert.Empty(hostChanges);
                Assert.Equal(1, room.HostId);
            }
            else if (protocol == "mesh")
            {
                // Client 2 became host, then left: the host passed back to the longest-connected client.
                Assert.Equal([2, 1], hostChanges);
                Assert.Equal(1, room.HostId);
            }
            else
            {
                // Client 2 became host of a host-protocol room, then left: the room closed.
                Assert.Equal([2], hostChanges);
                Assert.True(room.IsClosed);
                Assert.Null(room.HostId);
            }

            // "transferred": the transfer won (then the new host left); unknown_client: the leave won.
            Count(outcomes, transferResult.ErrorCode ?? "transferred");
        }

        AssertEveryOrderingOccurred(outcomes, "transferred", ErrorCodes.UnknownClient);
    }

    [Fact]
    public async Task Kick_and_leave_of_the_same_client_remove_it_once()
    {
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; MoreRounds(i, outcomes, 2); i++)
        {
            var ctx = new RealtimeContext();
            var room = ctx.CreateRoom().Room;
            var c = ctx.Seat(room, 3);
            var kick = new KickHandler(ctx.Membership);
            var leave = new LeaveHandler(ctx.Membership);

            var (kicked, left) = await RaceAsync(
                i,
                () => kick.Handle(new KickCommand(c[0].Client, 2, null), CancellationToken.None),
                () => leave.Handle(new LeaveCommand(c[1].Client, MessageRef.None), CancellationToken.None));

            Assert.True(kicked.IsError != left.IsError, $"kick: {kicked.ErrorCode}, leave: {left.ErrorCode}");
            Assert.Equal(kicked.IsError ? ErrorCodes.UnknownClient : ErrorCodes.NotConnected, kicked.IsError ? kicked.ErrorCode : left.ErrorCode);
            var leftFrame = c[2].Single("client_left");
            Assert.Equal(2, leftFrame.GetProperty("clientId").GetInt32());
            Assert.Equal(kicked.IsError ? "left" : "kicked", leftFrame.GetProperty("reason").GetString());
            Assert.Equal(2, room.ClientCount);
            Count(outcomes, kicked.IsError ? "left first" : "kicked first");
        }

        AssertEveryOrderingOccurred(outcomes, "left first", "kicked first");
    }

    [Fact]
    public async Task Concurrent_connects_and_leaves_keep_ids_unique_and_seats_bounded()
    {
        var ctx = new RealtimeContext();
        var handler = new ConnectHandler(ctx.Membership);
        var leave = new LeaveHandler(ctx.Membership);
        var room = ctx.CreateRoom(maxClients: 4).Room;
        var clients = Enumerable.Range(0, 8).Select(_ => ctx.NewClient()).ToArray();
        var ids = new System.Collections.Concurrent.ConcurrentBag<int>();

        await Concurrently.RunAsync(clients.Length, async index =>
        {
            var client = clients[index];
            for (var n = 0; n < 100; n++)
            {
                var result = await handler.Handle(new ConnectCommand(client.Client, room.Id, Rooms.Secret, null, false, MessageRef.None), CancellationToken.None);
                if (!result.IsError)
                {
                    ids.Add(client.ClientId);
                    Assert.True(room.ClientCount <= 4);
                    await leave.Handle(new LeaveCommand(client.Client, MessageRef.None), CancellationToken.None);
                }
                else
                {
                    Assert.Equal(ErrorCodes.RoomFull, result.ErrorCode);
                }
            }

            return true;
        });

        Assert.NotEmpty(ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(0, room.ClientCount);
        Assert.Null(room.HostId);
    }
}
