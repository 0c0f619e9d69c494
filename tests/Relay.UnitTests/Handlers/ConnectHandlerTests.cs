using System.Text.Json;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Connect;
using Relay.Application.Realtime.Parsing;
using Relay.Domain.Rooms;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Handlers;

/// <summary>`connect` through the real membership path over the in-memory backplane.</summary>
public sealed class ConnectHandlerTests
{
    private readonly RealtimeContext _ctx = new();
    private readonly ConnectHandler _handler;

    public ConnectHandlerTests() => _handler = new ConnectHandler(_ctx.Membership);

    private ValueTask<RealtimeResult> Connect(TestClient client, string roomId, string secret = Rooms.Secret, string? name = null, string? rawRef = null, bool resume = false) =>
        _handler.Handle(
            new ConnectCommand(client.Client, roomId, secret, name, resume, rawRef is null ? MessageRef.None : new MessageRef(System.Text.Encoding.UTF8.GetBytes(rawRef))),
            CancellationToken.None);

    [Fact]
    public async Task Unknown_room_is_room_not_found()
    {
        var client = _ctx.NewClient();

        var result = await Connect(client, "nope");

        Assert.Equal(ErrorCodes.RoomNotFound, result.ErrorCode);
        Assert.Null(client.Session);
        Assert.Empty(client.Frames);
    }

    [Fact]
    public async Task Wrong_secret_is_invalid_secret()
    {
        var room = _ctx.CreateRoom().Room;
        var member = _ctx.Joined(room);
        var client = _ctx.NewClient();

        var result = await Connect(client, room.Id, "not-the-secret");

        Assert.Equal(ErrorCodes.InvalidSecret, result.ErrorCode);
        Assert.Null(client.Session);
        Assert.Equal(1, room.ClientCount);
        Assert.Empty(member.Frames);
        Assert.Empty(client.Frames);
    }

    [Fact]
    public async Task Full_room_is_room_full()
    {
        var room = _ctx.CreateRoom(maxClients: 1).Room;
        var member = _ctx.Joined(room);
        var client = _ctx.NewClient();

        var result = await Connect(client, room.Id);

        Assert.Equal(ErrorCodes.RoomFull, result.ErrorCode);
        Assert.Null(client.Session);
        Assert.Empty(member.Frames);
        Assert.Empty(client.Frames);
    }

    [Fact]
    public async Task Host_secret_does_not_bypass_a_full_room()
    {
        var room = _ctx.CreateRoom(maxClients: 1).Room;
        _ctx.Joined(room);

        var result = await Connect(_ctx.NewClient(), room.Id, Rooms.HostSecret);

        Assert.Equal(ErrorCodes.RoomFull, result.ErrorCode);
        Assert.Equal(1, room.HostId);
    }

    [Fact]
    public async Task Locked_room_is_room_locked()
    {
        var room = _ctx.CreateRoom().Room;
        var (change, _) = await _ctx.Manager.UpdateAsync(room.Id, null, true, null, null, CancellationToken.None);
        Assert.Equal(Relay.Application.Rooms.Membership.MemberChange.Done, change);
        var client = _ctx.NewClient();

        var result = await Connect(client, room.Id);

        Assert.Equal(ErrorCodes.RoomLocked, result.ErrorCode);
        Assert.Null(client.Session);
    }

    [Fact]
    public async Task A_closed_room_still_registered_is_room_not_found()
    {
        var room = _ctx.CreateRoom().Room;

        // Closed without going through the backplane, so it is still registered there.
        room.ApplyClose(room.Seq + 1);

        var result = await Connect(_ctx.NewClient(), room.Id);

        Assert.Equal(ErrorCodes.RoomNotFound, result.ErrorCode);
    }

    [Fact]
    public async Task Connect_while_in_a_room_is_already_connected()
    {
        var room = _ctx.CreateRoom().Room;
        var other = _ctx.CreateRoom(id: "room-2").Room;
        var client = _ctx.Joined(room);

        Assert.Equal(ErrorCodes.AlreadyConnected, (await Connect(client, room.Id)).ErrorCode);
        Assert.Equal(ErrorCodes.AlreadyConnected, (await Connect(client, other.Id)).ErrorCode);
        Assert.Same(room, client.Session!.Room);
        Assert.Equal(1, room.ClientCount);
        Assert.Equal(0, other.ClientCount);
        Assert.Empty(client.Frames);
    }

    [Fact]
    public async Task First_joiner_gets_connected_as_host()
    {
        var room = _ctx.CreateRoom().Room;
        var client = _ctx.NewClient();

        var result = await Connect(client, room.Id, name: "ann", rawRef: "\"j1\"");

        Assert.False(result.IsError);
        var connected = client.Single("connected");
        Assert.Equal(room.Id, connected.GetProperty("roomId").GetString());
        Assert.Equal(1, connected.GetProperty("clientId").GetInt32());
        Assert.Equal(1, connected.GetProperty("hostId").GetInt32());
        Assert.True(connected.GetProperty("isHost").GetBoolean());
        Assert.Equal("mesh", connected.GetProperty("protocol").GetString());
        Assert.Equal("j1", connected.GetProperty("ref").GetString());
        Assert.False(connected.TryGetProperty("seq", out _));
        var self = Assert.Single(connected.GetProperty("clients").EnumerateArray());
        Assert.Equal("ann", self.GetProperty("name").GetString());
        Assert.Same(room, client.Session!.Room);
        Assert.Equal("ann", client.Session.Name);
        Assert.Same(client.Connection, client.Session.Connection);
    }

    [Fact]
    public async Task A_joiner_gets_connected_and_the_others_get_client_joined()
    {
        var room = _ctx.CreateRoom().Room;
        var first = _ctx.Joined(room, "ann");
        var second = _ctx.Joined(room, "bob");
        var joiner = _ctx.NewClient();

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
        var room = _ctx.CreateRoom().Room;
        var previous = _ctx.Joined(room);
        var other = _ctx.Joined(room);
        var joiner = _ctx.NewClient();

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

        Assert.False(previous.Session!.IsHost);
        Assert.Equal(3, room.HostId);
    }

    [Fact]
    public async Task Host_secret_in_a_secret_room_without_host_tells_the_others()
    {
        var room = _ctx.CreateRoom(hostAssignment: HostAssignment.Secret).Room;
        var member = _ctx.Joined(room);
        var joiner = _ctx.NewClient();

        await Connect(joiner, room.Id, Rooms.HostSecret);

        Assert.Equal(["client_joined", "host_changed"], member.Types);
        Assert.Equal(2, member.SingleOfType("host_changed").GetProperty("hostId").GetInt32());
    }

    [Fact]
    public async Task Member_secret_in_a_secret_room_does_not_make_a_host()
    {
        var room = _ctx.CreateRoom(hostAssignment: HostAssignment.Secret).Room;
        var member = _ctx.Joined(room);
        var joiner = _ctx.NewClient();

        await Connect(joiner, room.Id);

        var connected = joiner.Single("connected");
        Assert.Equal(JsonValueKind.Null, connected.GetProperty("hostId").ValueKind);
        Assert.False(connected.GetProperty("isHost").GetBoolean());
        Assert.Equal(["client_joined"], member.Types);
    }

    [Fact]
    public async Task Becoming_host_of_an_empty_room_sends_no_host_changed()
    {
        var room = _ctx.CreateRoom().Room;
        var joiner = _ctx.NewClient();

        await Connect(joiner, room.Id, Rooms.HostSecret);

        Assert.Equal(["connected"], joiner.Types);
    }

    [Fact]
    public async Task A_client_can_connect_again_after_leaving()
    {
        var room = _ctx.CreateRoom().Room;
        var client = _ctx.NewClient();
        await Connect(client, room.Id);
        _ctx.Leave(client);
        client.Clear();

        var result = await Connect(client, room.Id);

        Assert.False(result.IsError);
        Assert.Equal(2, client.Single("connected").GetProperty("clientId").GetInt32());
    }

    [Fact]
    public async Task Joined_at_comes_from_the_time_provider()
    {
        var room = _ctx.CreateRoom().Room;
        var client = _ctx.NewClient();
        _ctx.Time.Advance(TimeSpan.FromMinutes(3));

        await Connect(client, room.Id);

        Assert.Equal(ManualTimeProvider.Epoch.AddMinutes(3), client.Session!.JoinedAt);
    }

    [Fact]
    public async Task A_resumable_joiner_of_a_sequenced_room_gets_a_token_that_brings_it_back_and_the_seq()
    {
        var room = _ctx.CreateRoom(resumeWindowSeconds: 30).Room;
        var client = _ctx.NewClient();

        await Connect(client, room.Id, resume: true);

        var connected = client.Single("connected");
        var token = connected.GetProperty("resumeToken").GetString()!;
        Assert.Matches("^[A-Za-z0-9_-]{24}$", token);
        Assert.Equal(room.Seq, connected.GetProperty("seq").GetInt64());
        Assert.True(client.Session!.Resumable);
        Assert.Equal(SecretHash.Digest(token), client.Session.ResumeTokenDigest);
    }

    [Fact]
    public async Task Resume_is_not_offered_in_a_room_without_a_window()
    {
        var room = _ctx.CreateRoom().Room;
        var client = _ctx.NewClient();

        await Connect(client, room.Id, resume: true);

        var connected = client.Single("connected");
        Assert.False(connected.TryGetProperty("resumeToken", out _));
        Assert.False(connected.TryGetProperty("seq", out _));
        Assert.False(client.Session!.Resumable);
    }
}
