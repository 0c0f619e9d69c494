using Relay.Application.Protocols;
using Relay.Domain.Rooms;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Protocols;

/// <summary>The protocols' rules: pure functions of client ids and the host at one moment.</summary>
public sealed class MeshProtocolTests
{
    private readonly MeshProtocol _mesh = new();

    [Fact]
    public void Everyone_receives_everyone_and_may_send_to_anyone()
    {
        const int Host = 1, A = 2, B = 3;

        Assert.Equal("mesh", _mesh.Name);
        Assert.Equal(Audience.AllBut(Host), _mesh.BroadcastAudience(Host, Host));
        var fromA = _mesh.BroadcastAudience(A, Host);
        Assert.True(fromA.Includes(Host));
        Assert.True(fromA.Includes(B));
        Assert.False(fromA.Includes(A));
        Assert.True(_mesh.BroadcastAudience(Host, Host).Includes(A));
        Assert.True(_mesh.MaySend(Host, A, Host));
        Assert.True(_mesh.MaySend(A, Host, Host));
        Assert.True(_mesh.MaySend(A, B, Host));
    }

    [Fact]
    public void Without_a_host_everyone_still_talks_to_everyone()
    {
        Assert.True(_mesh.BroadcastAudience(1, null).Includes(2));
        Assert.False(_mesh.BroadcastAudience(1, null).Includes(1));
        Assert.True(_mesh.MaySend(2, 1, null));
    }

    [Theory]
    [InlineData(HostAssignment.First, HostLeftAction.PassToLongestConnected)]
    [InlineData(HostAssignment.Secret, HostLeftAction.NoHost)]
    public void When_the_host_leaves(HostAssignment assignment, HostLeftAction expected)
    {
        Assert.Equal(expected, _mesh.OnHostLeft(assignment));
    }
}

public sealed class HostProtocolTests
{
    private readonly HostProtocol _host = new();

    [Fact]
    public void Non_hosts_reach_only_the_host_and_the_host_reaches_everyone()
    {
        const int Host = 1, A = 2, B = 3;

        Assert.Equal("host", _host.Name);

        var fromA = _host.BroadcastAudience(A, Host);
        Assert.Equal(Audience.Single(Host), fromA);
        Assert.True(fromA.Includes(Host));
        Assert.False(fromA.Includes(B));
        Assert.False(fromA.Includes(A));
        var fromHost = _host.BroadcastAudience(Host, Host);
        Assert.True(fromHost.Includes(A));
        Assert.True(fromHost.Includes(B));
        Assert.False(fromHost.Includes(Host));

        Assert.True(_host.MaySend(A, Host, Host));
        Assert.False(_host.MaySend(A, B, Host));
        Assert.True(_host.MaySend(Host, A, Host));
        Assert.True(_host.MaySend(Host, B, Host));
    }

    [Fact]
    public void The_rules_follow_the_host_they_are_given()
    {
        const int First = 1, A = 2, B = 3;

        // Client A became host: the same question has the new host's answer.
        Assert.True(_host.BroadcastAudience(A, A).Includes(B));
        Assert.True(_host.BroadcastAudience(First, A).Includes(A));
        Assert.False(_host.BroadcastAudience(First, A).Includes(B));
        Assert.False(_host.MaySend(B, First, A));
    }

    [Fact]
    public void Without_a_host_nobody_reaches_anybody()
    {
        var audience = _host.BroadcastAudience(1, null);

        Assert.Equal(Audience.Nobody, audience);
        Assert.False(audience.Includes(2));
        Assert.False(_host.MaySend(1, 2, null));
    }

    [Theory]
    [InlineData(HostAssignment.First)]
    [InlineData(HostAssignment.Secret)]
    public void When_the_host_leaves_the_room_closes(HostAssignment assignment)
    {
        Assert.Equal(HostLeftAction.CloseRoom, _host.OnHostLeft(assignment));
    }

    [Fact]
    public void A_room_holds_the_protocol_it_was_created_with()
    {
        Assert.Same(Rooms.Host, Rooms.Create(Rooms.Host).Protocol);
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
