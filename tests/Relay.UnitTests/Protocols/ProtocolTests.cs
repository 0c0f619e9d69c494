using Relay.Application.Protocols;
using Relay.Domain.Rooms;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Protocols;

public sealed class MeshProtocolTests
{
    private readonly MeshProtocol _mesh = new();

    [Fact]
    public void Everyone_receives_everyone_and_may_send_to_anyone()
    {
        var room = Rooms.Create(_mesh);
        var host = Rooms.Join(room).Session;
        var a = Rooms.Join(room).Session;
        var b = Rooms.Join(room).Session;

        Assert.Equal("mesh", _mesh.Name);
        Assert.True(_mesh.ReceivesBroadcast(room, host, a));
        Assert.True(_mesh.ReceivesBroadcast(room, a, host));
        Assert.True(_mesh.ReceivesBroadcast(room, a, b));
        Assert.True(_mesh.MaySend(room, host, a));
        Assert.True(_mesh.MaySend(room, a, host));
        Assert.True(_mesh.MaySend(room, a, b));
    }

    [Fact]
    public void Without_a_host_everyone_still_talks_to_everyone()
    {
        var room = Rooms.Create(_mesh, HostAssignment.Secret);
        var a = Rooms.Join(room).Session;
        var b = Rooms.Join(room).Session;

        Assert.Null(room.HostId);
        Assert.True(_mesh.ReceivesBroadcast(room, a, b));
        Assert.True(_mesh.MaySend(room, b, a));
    }

    [Theory]
    [InlineData(HostAssignment.First, HostLeftAction.PassToLongestConnected)]
    [InlineData(HostAssignment.Secret, HostLeftAction.NoHost)]
    public void When_the_host_leaves(HostAssignment assignment, HostLeftAction expected)
    {
        Assert.Equal(expected, _mesh.OnHostLeft(Rooms.Create(_mesh, assignment)));
    }
}

public sealed class HostProtocolTests
{
    private readonly HostProtocol _host = new();

    [Fact]
    public void Non_hosts_reach_only_the_host_and_the_host_reaches_everyone()
    {
        var room = Rooms.Create(_host);
        var host = Rooms.Join(room).Session;
        var a = Rooms.Join(room).Session;
        var b = Rooms.Join(room).Session;

        Assert.Equal("host", _host.Name);

        Assert.True(_host.ReceivesBroadcast(room, a, host));
        Assert.False(_host.ReceivesBroadcast(room, a, b));
        Assert.True(_host.ReceivesBroadcast(room, host, a));
        Assert.True(_host.ReceivesBroadcast(room, host, b));

        Assert.True(_host.MaySend(room, a, host));
        Assert.False(_host.MaySend(room, a, b));
        Assert.True(_host.MaySend(room, host, a));
        Assert.True(_host.MaySend(room, host, b));
    }

    [Fact]
    public void The_rules_follow_a_host_transfer()
    {
        var room = Rooms.Create(_host);
        var first = Rooms.Join(room).Session;
        var a = Rooms.Join(room).Session;
        var b = Rooms.Join(room).Session;

        room.TransferHost(a.ClientId);

        Assert.True(_host.ReceivesBroadcast(room, a, b));
        Assert.True(_host.ReceivesBroadcast(room, first, a));
        Assert.False(_host.ReceivesBroadcast(room, first, b));
        Assert.False(_host.MaySend(room, b, first));
    }

    [Fact]
    public void Without_a_host_nobody_reaches_anybody()
    {
        var room = Rooms.Create(_host, HostAssignment.Secret);
        var a = Rooms.Join(room).Session;
        var b = Rooms.Join(room).Session;

        Assert.Null(room.HostId);
        Assert.False(_host.ReceivesBroadcast(room, a, b));
        Assert.False(_host.MaySend(room, a, b));
    }

    [Theory]
    [InlineData(HostAssignment.First)]
    [InlineData(HostAssignment.Secret)]
    public void When_the_host_leaves_the_room_closes(HostAssignment assignment)
    {
        Assert.Equal(HostLeftAction.CloseRoom, _host.OnHostLeft(Rooms.Create(_host, assignment)));
    }
}

public sealed class ProtocolRegistryTests
{
    private readonly ProtocolRegistry _registry = Rooms.Registry();

    [Fact]
    public void Names_are_sorted()
    {
        Assert.Equal(["host", "mesh"], _registry.Names);
    }

    [Fact]
    public void Lookups_find_each_protocol_by_its_exact_name()
    {
        Assert.True(_registry.TryGet("mesh", out var mesh));
        Assert.IsType<MeshProtocol>(mesh);
        Assert.True(_registry.TryGet("host", out var host));
        Assert.IsType<HostProtocol>(host);
        Assert.Same(mesh, _registry.Get("mesh"));
    }

    [Theory]
    [InlineData("Mesh")]
    [InlineData("HOST")]
    [InlineData("p2p")]
    [InlineData("")]
    public void Unknown_names_are_not_found(string name)
    {
        Assert.False(_registry.TryGet(name, out _));
        Assert.Throws<KeyNotFoundException>(() => _registry.Get(name));
    }
}
