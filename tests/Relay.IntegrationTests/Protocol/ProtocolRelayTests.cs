using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Protocol;

/// <summary>
/// Who may relay to whom under `mesh` and `host` (PROTOCOL.md, Protocols). Each room has the host first,
/// then two non-hosts.
/// </summary>
public sealed class ProtocolRelayTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private const string Data = """{ "move" : [1, 2.50, "é"] }""";

    private RelayServer Server => fixture.Server;

    [Theory]
    [InlineData("mesh")]
    [InlineData("host")]
    public async Task Broadcast_from_the_host_reaches_all_other_clients(string protocol)
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3, protocol);
        var (host, first, second) = (room[0], room[1], room[2]);

        await host.SendTextAsync($$"""{"type":"broadcast","data":{{Data}}}""");

        await Expect.MessageAsync(first, host.ClientId, Data);
        await Expect.MessageAsync(second, host.ClientId, Data);
        await host.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Mesh_broadcast_from_a_non_host_reaches_all_other_clients()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3, "mesh");
        var (host, sender, other) = (room[0], room[1], room[2]);

        await sender.SendTextAsync($$"""{"type":"broadcast","data":{{Data}}}""");

        await Expect.MessageAsync(host, sender.ClientId, Data);
        await Expect.MessageAsync(other, sender.ClientId, Data);
        await sender.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Host_protocol_broadcast_from_a_non_host_reaches_only_the_host()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3, "host");
        var (host, sender, other) = (room[0], room[1], room[2]);

        await sender.SendTextAsync($$"""{"type":"broadcast","data":{{Data}}}""");

        await Expect.MessageAsync(host, sender.ClientId, Data);
        await other.AssertNothingPendingAsync();
        await sender.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Mesh_send_from_a_non_host_to_another_non_host_is_delivered()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3, "mesh");
        var (host, sender, target) = (room[0], room[1], room[2]);

        await sender.SendTextAsync($$"""{"type":"send","to":[{{target.ClientId}}],"data":{{Data}}}""");

        await Expect.MessageAsync(target, sender.ClientId, Data);
        await host.AssertNothingPendingAsync();
        await sender.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Host_protocol_send_from_a_non_host_to_another_non_host_is_forbidden_and_not_delivered()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3, "host");
        var (host, sender, target) = (room[0], room[1], room[2]);

        await sender.SendTextAsync($$"""{"type":"send","to":[{{target.ClientId}}],"data":{{Data}},"ref":"s1"}""");

        var error = await sender.ExpectErrorAsync("forbidden");
        Assert.Equal("s1", error.GetProperty("ref").GetString());
        await target.AssertNothingPendingAsync();
        await host.AssertNothingPendingAsync();
    }

    [Theory]
    [InlineData("mesh")]
    [InlineData("host")]
    public async Task Send_from_a_non_host_to_the_host_is_delivered(string protocol)
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3, protocol);
        var (host, sender, other) = (room[0], room[1], room[2]);

        await sender.SendTextAsync($$"""{"type":"send","to":[{{host.ClientId}}],"data":{{Data}}}""");

        await Expect.MessageAsync(host, sender.ClientId, Data);
        await sender.AssertNothingPendingAsync();
        await other.AssertNothingPendingAsync();
    }

    [Theory]
    [InlineData("mesh")]
    [InlineData("host")]
    public async Task Send_from_the_host_reaches_exactly_the_listed_clients(string protocol)
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 4, protocol);
        var (host, first, skipped, last) = (room[0], room[1], room[2], room[3]);

        await host.SendTextAsync($$"""{"type":"send","to":[{{last.ClientId}},{{first.ClientId}}],"data":{{Data}}}""");

        await Expect.MessageAsync(first, host.ClientId, Data);
        await Expect.MessageAsync(last, host.ClientId, Data);
        await skipped.AssertNothingPendingAsync();
        await host.AssertNothingPendingAsync();
    }

    [Fact]
    public async Task Host_protocol_host_broadcast_is_relayed_after_a_transfer_from_the_new_host_only()
    {
        await using var room = await RoomHarness.CreateAsync(Server, clients: 3, "host");
        var (oldHost, newHost, other) = (room[0], room[1], room[2]);
        await oldHost.SendJsonAsync(new { type = "transfer_host", clientId = newHost.ClientId });
        foreach (var client in room.Clients)
        {
            await Expect.HostChangedAsync(client, newHost.ClientId);
        }

        await oldHost.SendTextAsync($$"""{"type":"broadcast","data":{{Data}}}""");

        await Expect.MessageAsync(newHost, oldHost.ClientId, Data);
        await other.AssertNothingPendingAsync();
    }
}
