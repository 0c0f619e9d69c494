using Relay.Domain.Rooms;
using Relay.Infrastructure.Backplanes.Redis;
using Relay.UnitTests.TestSupport;
using StackExchange.Redis;

namespace Relay.UnitTests.Infrastructure.Redis;

/// <summary>
/// A node's relay counts per room on their way to Redis: what each heartbeat reports, that a report whose answer
/// was lost goes again unchanged, and what a read adds to the stored count for each last report it saw.
/// </summary>
public sealed class RoomRelayCountsTests
{
    private static readonly RedisKeys Keys = new("p");

    private readonly RoomRelayCounts _counts = new("node-a");

    [Fact]
    public void A_report_carries_what_each_copy_counted_since_the_last_answered_one_and_goes_again_until_answered()
    {
        var a = Copy("a", relays: 3);
        Copy("b", relays: 0);

        var first = _counts.Next(Keys)!;
        var entry = Assert.Single(first.Entries);
        Assert.Equal(("p:r:a", "epoch-1", 3L), (entry.RoomKey, entry.Epoch, entry.Count));

        // Unanswered (a timeout): the same report again, whatever was counted meanwhile.
        a.Room!.CountRelay();
        Assert.Same(first, _counts.Next(Keys));

        _counts.Answered(first);
        var second = _counts.Next(Keys)!;
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(1, Assert.Single(second.Entries).Count);
        _counts.Answered(second);
        _counts.Answered(second); // A second answer to the same report changes nothing.
        Assert.Null(_counts.Next(Keys));
        Assert.Equal(4, a.ReportedRelays);
    }

    [Fact]
    public void A_read_adds_exactly_what_the_store_had_not_got_when_it_was_read()
    {
        var a = Copy("a", relays: 5);
        var report = _counts.Next(Keys)!;

        // Read before the report was added, or after it was (its answer not yet back).
        Assert.Equal(5, _counts.Unreported("a", "epoch-1", lastReport: ""));
        Assert.Equal(0, _counts.Unreported("a", "epoch-1", report.Id));

        _counts.Answered(report);
        Assert.Equal(0, _counts.Unreported("a", "epoch-1", report.Id));
        Assert.Equal(5, _counts.Unreported("a", "epoch-1", lastReport: ""));

        a.Room!.CountRelay();
        a.Room.CountRelay();
        Assert.Equal(2, _counts.Unreported("a", "epoch-1", report.Id));

        // Another room, a room made again with the id (another epoch), another node's report: none of this node's.
        Assert.Equal(0, _counts.Unreported("b", "epoch-1", report.Id));
        Assert.Equal(0, _counts.Unreported("a", "epoch-2", report.Id));
        var other = new RoomRelayCounts("node-a");
        Assert.Equal(7, _counts.Unreported("a", "epoch-1", OtherReportId(other)));
    }

    [Fact]
    public void A_dropped_copy_is_reported_until_its_count_is_in_beside_the_copy_that_replaced_it()
    {
        var dropped = Copy("a", relays: 2);
        dropped.Dropped = true;
        Copy("a", relays: 1);

        var report = _counts.Next(Keys)!;
        Assert.Equal(new long[] { 1, 2 }, report.Entries.Select(e => e.Count).Order().ToArray());
        Assert.Equal(3, _counts.Unreported("a", "epoch-1", lastReport: ""));

        _counts.Answered(report);
        Assert.Null(_counts.Next(Keys));
        Assert.Equal(0, _counts.Unreported("a", "epoch-1", report.Id));
    }

    /// <summary>A loaded copy of room <paramref name="id"/> that has counted <paramref name="relays"/> relays.</summary>
    private Replica Copy(string id, int relays)
    {
        var replica = new Replica(id, RedisChannel.Literal("p:c:" + id)) { Room = new Room(Rooms.Settings(id: id), ManualTimeProvider.Epoch) };
        for (var i = 0; i < relays; i++)
        {
            replica.Room.CountRelay();
        }

        _counts.Track(replica);
        return replica;
    }

    /// <summary>The id of a report of <paramref name="counts"/> (another life of the node).</summary>
    private static string OtherReportId(RoomRelayCounts counts)
    {
        var replica = new Replica("x", RedisChannel.Literal("p:c:x")) { Room = new Room(Rooms.Settings(id: "x"), ManualTimeProvider.Epoch) };
        replica.Room.CountRelay();
        counts.Track(replica);
        return counts.Next(Keys)!.Id;
    }
}
