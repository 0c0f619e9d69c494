using System.Net;
using System.Net.WebSockets;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Protocol;

/// <summary>Who is host (`hostAssignment`, `hostSecret`) and what only the host may do: `transfer_host`, `kick`, `close_room`.</summary>
public sealed class HostPowersTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private RelayServer Server => fixture.Server;

    [Fact]
    public async Task First_joiner_is_host_with_hostAssignment_first()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 0, hostAssignment: "first");

        var (first, firstConnected) = await room.JoinWithAsync();
        var (second, secondConnected) = await room.JoinWithAsync();

        Assert.True(firstConnected.GetProperty("isHost").GetBoolean());
        Assert.Equal(first.ClientId, Expect.HostIdOf(firstConnected));
        Assert.False(secondConnected.GetProperty("isHost").GetBoolean());
        Assert.Equal(first.ClientId, Expect.HostIdOf(secondConnected));
        await first.AssertNothingPendingAsync();
        await second.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Room_with_hostAssignment_secret_has_no_host_until_the_host_secret_is_presented()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 0, hostAssignment: "secret");

        var (plain, plainConnected) = await room.JoinWithAsync();
        Assert.Null(Expect.HostIdOf(plainConnected));
        Assert.False(plainConnected.GetProperty("isHost").GetBoolean());

        var (host, hostConnected) = await room.JoinWithAsync(room.Room.HostSecret);
        Assert.True(hostConnected.GetProperty("isHost").GetBoolean());
        Assert.Equal(host.ClientId, Expect.HostIdOf(hostConnected));
        await Expect.HostChangedAsync(plain, host.ClientId);
    }

    [Fact]
    public async Task Plain_joiners_never_become_host_with_hostAssignment_secret()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 0, hostAssignment: "secret");

        var (first, firstConnected) = await room.JoinWithAsync();
        var (second, secondConnected) = await room.JoinWithAsync();

        foreach (var connected in new[] { firstConnected, secondConnected })
        {
            Assert.Null(Expect.HostIdOf(connected));
            Assert.False(connected.GetProperty("isHost").GetBoolean());
            Assert.All(connected.GetProperty("clients").EnumerateArray(), c => Assert.False(c.GetProperty("isHost").GetBoolean()));
        }

        await first.SendJsonAsync(new { type = "kick", clientId = second.ClientId });
        await first.ExpectErrorAsync("not_host");
        await first.AssertNothingPendingAsync();
        await second.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Connecting_with_the_host_secret_makes_the_client_host_and_tells_the_others()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 2);
        var (oldHost, member) = (room[0], room[1]);

        var (newHost, connected) = await room.JoinWithAsync(room.Room.HostSecret);

        Assert.True(connected.GetProperty("isHost").GetBoolean());
        Assert.Equal(newHost.ClientId, Expect.HostIdOf(connected));
        await Expect.HostChangedAsync(oldHost, newHost.ClientId);
        await Expect.HostChangedAsync(member, newHost.ClientId);
        await newHost.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Connecting_with_the_host_secret_demotes_the_previous_host()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 2);
        var (oldHost, member) = (room[0], room[1]);
        var newHost = await room.JoinAsync(room.Room.HostSecret);
        await Expect.HostChangedAsync(oldHost, newHost.ClientId);
        await Expect.HostChangedAsync(member, newHost.ClientId);

        await oldHost.SendJsonAsync(new { type = "kick", clientId = member.ClientId, @ref = "k" });

        var error = await oldHost.ExpectErrorAsync("not_host");
        Assert.Equal("k", error.GetProperty("ref").GetString());
        await member.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Transfer_host_tells_every_client_including_the_old_host_and_the_target()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);
        var (host, target, other) = (room[0], room[1], room[2]);

        await host.SendJsonAsync(new { type = "transfer_host", clientId = target.ClientId });

        await Expect.HostChangedAsync(host, target.ClientId);
        await Expect.HostChangedAsync(target, target.ClientId);
        await Expect.HostChangedAsync(other, target.ClientId);
        var details = await Server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}");
        Assert.Equal(target.ClientId, details.GetProperty("hostId").GetInt32());
    }

    [Fact]
    public async Task Transfer_host_gives_the_target_the_host_powers()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);
        var (host, target, other) = (room[0], room[1], room[2]);
        await host.SendJsonAsync(new { type = "transfer_host", clientId = target.ClientId });
        foreach (var client in room.Clients)
        {
            await Expect.HostChangedAsync(client, target.ClientId);
        }

        await target.SendJsonAsync(new { type = "kick", clientId = other.ClientId });

        await Expect.KickedAsync(other, reason: null);
        await Expect.ClientLeftAsync(host, other.ClientId, "kicked");
    }

    [Theory]
    [InlineData("kick")]
    [InlineData("transfer_host")]
    [InlineData("close_room")]
    public async Task Old_host_gets_not_host_after_transferring_host(string type)
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);
        var (oldHost, newHost, other) = (room[0], room[1], room[2]);
        await oldHost.SendJsonAsync(new { type = "transfer_host", clientId = newHost.ClientId });
        foreach (var client in room.Clients)
        {
            await Expect.HostChangedAsync(client, newHost.ClientId);
        }

        await oldHost.SendJsonAsync(new { type, clientId = other.ClientId, @ref = 7 });

        var error = await oldHost.ExpectErrorAsync("not_host");
        Assert.Equal(7, error.GetProperty("ref").GetInt32());
        await newHost.AssertNothingPendingAsync();
        await other.AssertNothingPendingAsync();
        Assert.Equal(HttpStatusCode.OK, await room.GetStatusAsync());
    }

    [Fact]
    public async Task Transfer_host_to_an_unknown_client_fails_with_unknown_client()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 2);
        var (host, member) = (room[0], room[1]);

        await host.SendJsonAsync(new { type = "transfer_host", clientId = 999 });

        await host.ExpectErrorAsync("unknown_client");
        await member.AssertNothingPendingAsync();
        var details = await Server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}");
        Assert.Equal(host.ClientId, details.GetProperty("hostId").GetInt32());
    }

    [Fact]
    public async Task Transfer_host_from_a_non_host_fails_with_not_host()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);
        var (host, member, other) = (room[0], room[1], room[2]);

        await member.SendJsonAsync(new { type = "transfer_host", clientId = other.ClientId });

        await member.ExpectErrorAsync("not_host");
        await host.AssertNothingPendingAsync();
        await other.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Kick_sends_the_target_kicked_with_the_given_reason_then_closes_it_with_4001()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 2);
        var (host, target) = (room[0], room[1]);

        await host.SendJsonAsync(new { type = "kick", clientId = target.ClientId, reason = "spamming the lobby" });

        await Expect.KickedAsync(target, "spamming the lobby");
    }

    [Fact]
    public async Task Kick_without_a_reason_sends_a_default_reason()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 2);
        var (host, target) = (room[0], room[1]);

        await host.SendJsonAsync(new { type = "kick", clientId = target.ClientId });

        await Expect.KickedAsync(target, reason: null);
    }

    [Fact]
    public async Task Kick_tells_the_others_client_left_with_reason_kicked()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);
        var (host, target, other) = (room[0], room[1], room[2]);

        await host.SendJsonAsync(new { type = "kick", clientId = target.ClientId });

        await Expect.ClientLeftAsync(host, target.ClientId, "kicked");
        await Expect.ClientLeftAsync(other, target.ClientId, "kicked");
        var details = await Server.Api.GetJsonAsync($"/v1/api/rooms/{room.Id}");
        Assert.Equal(2, details.GetProperty("clients").GetArrayLength());
    }

    [Fact]
    public async Task Kick_from_a_non_host_fails_with_not_host_and_kicks_no_one()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);
        var (host, member, target) = (room[0], room[1], room[2]);

        await member.SendJsonAsync(new { type = "kick", clientId = target.ClientId });

        await member.ExpectErrorAsync("not_host");
        await target.AssertNothingPendingAsync();
        await host.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Kick_of_an_unknown_client_fails_with_unknown_client()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 2);
        var (host, member) = (room[0], room[1]);

        await host.SendJsonAsync(new { type = "kick", clientId = 999 });

        await host.ExpectErrorAsync("unknown_client");
        await member.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Close_room_sends_every_client_room_closed_by_host_and_closes_with_4000()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);

        await room[0].SendJsonAsync(new { type = "close_room" });

        foreach (var client in room.Clients)
        {
            await Expect.RoomClosedAsync(client, "closed_by_host", (WebSocketCloseStatus)4000);
        }
    }

    [Fact]
    public async Task Close_room_deletes_the_room()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 2);

        await room[0].SendJsonAsync(new { type = "close_room", reason = "game over" });
        await Expect.RoomClosedAsync(room[1], "closed_by_host", (WebSocketCloseStatus)4000);

        Assert.Equal(HttpStatusCode.NotFound, await room.GetStatusAsync());
        await using var late = await Server.ConnectClientAsync();
        await late.SendJsonAsync(new { type = "connect", roomId = room.Id, secret = room.Room.Secret });
        await late.ExpectErrorAsync("room_not_found");
    }

    [Fact]
    public async Task Close_room_from_a_non_host_fails_with_not_host_and_the_room_stays()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3);
        var (host, member, other) = (room[0], room[1], room[2]);

        await member.SendJsonAsync(new { type = "close_room" });

        await member.ExpectErrorAsync("not_host");
        await host.AssertNothingPendingAsync();
        await other.AssertNothingPendingAsync();
        Assert.Equal(HttpStatusCode.OK, await room.GetStatusAsync());
    }
}
