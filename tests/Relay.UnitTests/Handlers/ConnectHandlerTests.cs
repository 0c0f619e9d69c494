using Microsoft.Extensions.Logging.Abstractions;
using NSubstitute;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime;
using Relay.Application.Realtime.Connect;
using Relay.Application.Realtime.Parsing;
using Relay.Domain.Rooms;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Handlers;

public sealed class ConnectHandlerTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly IRoomManager _rooms = Substitute.For<IRoomManager>();
    private readonly ConnectHandler _handler;

    private readonly Dictionary<string, Room> _registered = [];

    /// <summary>
    /// The manager is faked around the real join logic: it finds registered rooms, matches the secret and lets
    /// <see cref="RoomCoordinator.Join"/> seat the client, as <c>InMemoryRoomManager</c> does.
    /// </summary>
    public ConnectHandlerTests()
    {
        var coordinator = new RoomCoordinator(_time, NullLogger.Instance, _ => true);
        _rooms.JoinAsync(Arg.Any<JoinRequest>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            var request = call.Arg<JoinRequest>();
            if (!_registered.TryGetValue(request.RoomId, out var room))
            {
                return ValueTask.FromResult(JoinOutcome.RoomNotFound);
            }

            var match = room.MatchSecret(request.SecretDigest);
            return ValueTask.FromResult(match == SecretMatch.None ? JoinOutcome.InvalidSecret : coordinator.Join(room, request, match == SecretMatch.Host));
        });
        _handler = new ConnectHandler(_rooms);
    }

    private Room Register(Room room)
    {
        _registered[room.Id] = room;
        return room;
    }

    private ValueTask<RealtimeResult> Connect(TestClient client, string roomId, string secret = Rooms.Secret, string? name = null, string? rawRef = null) =>
        _handler.Handle(
            new ConnectCommand(client.Session, roomId, secret, name, rawRef is null ? MessageRef.None : new MessageRef(System.Text.Encoding.UTF8.GetBytes(rawRef))),
            CancellationToken.None);

    [Fact]
    public async Task Unknown_room_is_room_not_found()
    {
        var client = new TestClient();

        var result = await Connect(client, "nope");

        Assert.Equal(ErrorCodes.RoomNotFound, result.ErrorCode);
        Assert.Null(client.Session.Room);
        Assert.Empty(client.Frames);
    }

    [Fact]
    public async Task Wrong_secret_is_invalid_secret()
    {
        var room = Register(Rooms.Create());
        var member = Rooms.Join(room);
        var client = new TestClient();

        var result = await Connect(client, room.Id, "not-the-secret");

        Assert.Equal(ErrorCodes.InvalidSecret, result.ErrorCode);
        Assert.Null(client.Session.Room);
        Assert.Equal(1, room.ClientCount);
        Assert.Empty(member.Frames);
    }

    [Fact]
    public async Task Full_room_is_room_full()
    {
        var room = Register(Rooms.Create(maxClients: 1));
        var member = Rooms.Join(room);
        var client = new TestClient();

        var result = await Connect(client, room.Id);

        Assert.Equal(ErrorCodes.RoomFull, result.ErrorCode);
        Assert.Null(client.Session.Room);
        Assert.Empty(member.Frames);
    }

    [Fact]
    public async Task Host_secret_does_not_bypass_a_full_room()
    {
        var room = Register(Rooms.Create(maxClients: 1));
        Rooms.Join(room);

        var result = await Connect(new TestClient(), room.Id, Rooms.HostSecret);

        Assert.Equal(ErrorCodes.RoomFull, result.ErrorCode);
        Assert.Equal(1, room.HostId);
    }

    [Fact]
    public async Task Locked_room_is_room_locked()
    {
        var room = Register(Rooms.Create());
        room.Update(null, true, null);
        var client = new TestClient();

        var result = await Connect(client, room.Id);

        Assert.Equal(ErrorCodes.RoomLocked, result.ErrorCode);
        Assert.Null(client.Session.Room);
    }

    [Fact]
    public async Task A_closed_room_still_found_is_room_not_found()
    {
        var room = Register(Rooms.Create());
        room.Close();

        var result = await Connect(new TestClient(), room.Id);

        Assert.Equal(ErrorCodes.RoomNotFound, result.ErrorCode);
    }

    [Fact]
    public async Task Connect_while_in_a_room_is_already_connected()
    {
        var room = Register(Rooms.Create());
        var other = Register(Rooms.Create(id: "room-2"));
        var client = Rooms.Join(room);

        Assert.Equal(ErrorCodes.AlreadyConnected, (await Connect(client, room.Id)).ErrorCode);
        Assert.Equal(ErrorCodes.AlreadyConnected, (await Connect(client, other.Id)).ErrorCode);
        Assert.Same(room, client.Session.Room);
        Assert.Equal(0, other.ClientCount);
        Assert.Empty(client.Frames);
    }

    [Fact]
    public async Task First_joiner_gets_connected_as_host()
    {
        var room = Register(Rooms.Create());
        var client = new TestClient();

        var result = await Connect(client, room.Id, name: "ann", rawRef: "\"j1\"");

        Assert.False(result.IsError);
        var connected = client.Single("connected");
        Assert.Equal(room.Id, connected.GetProperty("roomId").GetString());
        Assert.Equal(1, connected.GetProperty("clientId").GetInt32());
        Assert.Equal(1, connected.GetProperty("hostId").GetInt32());
        Assert.True(connected.GetProperty("isHost").GetBoolean());
        Assert.Equal("mesh", connected.GetProperty("protocol").GetString());
        Assert.Equal("j1", connected.GetProperty("ref").GetString());
        var self = Assert.Single(connected.GetProperty("clients").EnumerateArray());
        Assert.Equal("ann", self.GetProperty("name").GetString());
        Assert.Same(room, client.Session.Room);
        Assert.Equal("ann", client.Session.Name);
    }

    [Fact]
    public async Task A_joiner_gets_connected_and_the_others_get_client_joined()
    {
        var room = Register(Rooms.Create());
        var first = Rooms.Join(room, "ann");
        var second = Rooms.Join(room, "bob");
        var joiner = new TestClient();

        var result = await Connect(joiner, room.Id, name: "cy", rawRef: "3");

        Assert.False(result.IsError);
        var connected = joiner.Single("connected");
        Assert.Equal(3, connected.GetProperty("clientId").GetInt32());
        Assert.Equal(1, connected.GetProperty("hostId").GetInt32());
        Assert.False(connected.GetProperty("isHost").GetBoolean());
        Assert.Equal(3, connected.GetProperty("ref").GetInt32());
        Assert.Equal([1, 2, 3], connected.GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("clientId").GetInt32()));

        foreach (var other in new[] { first, second })
        {
            var joined = other.Single("client_joined");
            Assert.Equal(3, joined.GetProperty("clientId").GetInt32());
            Assert.Equal("cy", joined.GetProperty("name").GetString());
        }
    }

    [Fact]
    public async Task Host_secret_makes_the_joiner_host_and_the_others_get_host_changed()
    {
        var room = Register(Rooms.Create());
        var previous = Rooms.Join(room);
        var other = Rooms.Join(room);
        var joiner = new TestClient();

        var result = await Connect(joiner, room.Id, Rooms.HostSecret);

        Assert.False(result.IsError);
        var connected = joiner.Single("connected");
        Assert.True(connected.GetProperty("isHost").GetBoolean());
        Assert.Equal(3, connected.GetProperty("hostId").GetInt32());
        foreach (var member in new[] { previous, other })
        {
            Assert.Equal(["client_joined", "host_changed"], member.Types);
            Assert.Equal(3, member.SingleOfType("host_changed").GetProperty("hostId").GetInt32());
        }

        Assert.False(previous.Session.IsHost);
        Assert.Equal(3, room.HostId);
    }

    [Fact]
    public async Task Host_secret_in_a_secret_room_without_host_tells_the_others()
    {
        var room = Register(Rooms.Create(hostAssignment: HostAssignment.Secret));
        var member = Rooms.Join(room);
        var joiner = new TestClient();

        await Connect(joiner, room.Id, Rooms.HostSecret);

        Assert.Equal(["client_joined", "host_changed"], member.Types);
        Assert.Equal(2, member.SingleOfType("host_changed").GetProperty("hostId").GetInt32());
    }

    [Fact]
    public async Task Member_secret_in_a_secret_room_does_not_make_a_host()
    {
        var room = Register(Rooms.Create(hostAssignment: HostAssignment.Secret));
        var member = Rooms.Join(room);
        var joiner = new TestClient();

        await Connect(joiner, room.Id);

        var connected = joiner.Single("connected");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, connected.GetProperty("hostId").ValueKind);
        Assert.False(connected.GetProperty("isHost").GetBoolean());
        Assert.Equal(["client_joined"], member.Types);
    }

    [Fact]
    public async Task Becoming_host_of_an_empty_room_sends_no_host_changed()
    {
        var room = Register(Rooms.Create());
        var joiner = new TestClient();

        await Connect(joiner, room.Id, Rooms.HostSecret);

        Assert.Equal(["connected"], joiner.Types);
    }

    [Fact]
    public async Task A_client_can_connect_again_after_leaving()
    {
        var room = Register(Rooms.Create());
        var client = new TestClient();
        await Connect(client, room.Id);
        room.Remove(client.Session, _time.GetUtcNow());
        client.Clear();

        var result = await Connect(client, room.Id);

        Assert.False(result.IsError);
        Assert.Equal(2, client.Single("connected").GetProperty("clientId").GetInt32());
    }

    [Fact]
    public async Task Joined_at_comes_from_the_time_provider()
    {
        var room = Register(Rooms.Create());
        var client = new TestClient();
        _time.Advance(TimeSpan.FromMinutes(3));

        await Connect(client, room.Id);

        Assert.Equal(ManualTimeProvider.Epoch.AddMinutes(3), client.Session.JoinedAt);
    }
}
