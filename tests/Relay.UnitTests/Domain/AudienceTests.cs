using Relay.Domain.Rooms;

namespace Relay.UnitTests.Domain;

public sealed class AudienceTests
{
    [Fact]
    public void Everyone_includes_every_member()
    {
        Assert.All([1, 2, 1000, int.MaxValue], id => Assert.True(Audience.Everyone.Includes(id)));
        Assert.Equal(AudienceKind.All, Audience.Everyone.Kind);
    }

    [Fact]
    public void All_but_one_leaves_out_only_that_one()
    {
        var audience = Audience.AllBut(3);

        Assert.False(audience.Includes(3));
        Assert.True(audience.Includes(2));
        Assert.True(audience.Includes(4));
    }

    [Fact]
    public void Single_includes_only_its_member()
    {
        var audience = Audience.Single(2);

        Assert.True(audience.Includes(2));
        Assert.False(audience.Includes(1));
        Assert.False(audience.Includes(3));
    }

    [Fact]
    public void Listed_includes_the_listed_members_once_whatever_the_order_or_repeats()
    {
        var audience = Audience.Listed([3, 1, 3]);

        Assert.True(audience.Includes(1));
        Assert.True(audience.Includes(3));
        Assert.False(audience.Includes(2));
        Assert.False(Audience.Listed([]).Includes(1));
    }

    [Fact]
    public void Nobody_includes_no_one()
    {
        Assert.All([0, 1, 2], id => Assert.False(Audience.Nobody.Includes(id)));
    }
}
