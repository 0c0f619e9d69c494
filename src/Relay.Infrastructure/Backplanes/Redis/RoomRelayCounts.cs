using System.Globalization;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>
/// This node's relay counts per room on their way to the rooms' hashes (field <c>rel</c>). A relay counts in the
/// copy of the room it went through (<see cref="Domain.Rooms.Room.CountRelay"/>, nothing else on the relay path);
/// each heartbeat carries what the copies counted since the last report, as one numbered report that Redis adds to
/// each room still there (of the same epoch: a room deleted meanwhile is not made again, nor a room made again with
/// its id credited) and keeps as this node's last report (<see cref="ReportField"/> in the stats hash). A report whose
/// outcome is unknown (a timeout) is sent again as it was, under its number, until it is answered, so Redis adds it
/// once. A read adds to the stored count what this node counted that Redis had not got when the read was made: the
/// last report the read saw tells exactly which.
/// </summary>
internal sealed class RoomRelayCounts(string nodeId)
{
    /// <summary>How many answered reports are kept for reads made before them.</summary>
    private const int KeptReports = 16;

    private readonly Lock _gate = new();
    private readonly string _life = Guid.NewGuid().ToString("N")[..12];
    private readonly Dictionary<string, List<Replica>> _copies = new(StringComparer.Ordinal);
    private readonly Queue<RelayReport> _answered = new();
    private long _reports;
    private RelayReport? _pending;

    /// <summary>The stats hash field holding the id of the last report of this node that Redis added.</summary>
    public string ReportField { get; } = "r:" + nodeId;

    /// <summary>Counts the relays of a copy once its room is loaded; it is forgotten once dropped and fully reported.</summary>
    public void Track(Replica replica)
    {
        ArgumentNullException.ThrowIfNull(replica);
        lock (_gate)
        {
            if (!_copies.TryGetValue(replica.Id, out var copies))
            {
                _copies[replica.Id] = copies = [];
            }

            if (!copies.Contains(replica))
            {
                copies.Add(replica);
            }
        }
    }

    /// <summary>
    /// The report for this heartbeat: the one not yet answered, else what the copies counted since their last report;
    /// null when there is nothing to report.
    /// </summary>
    public RelayReport? Next(RedisKeys keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        lock (_gate)
        {
            if (_pending is not null)
            {
                return _pending;
            }

            var entries = new List<RelayReportEntry>();
            List<string>? forgotten = null;
            foreach (var (roomId, copies) in _copies)
            {
                for (var i = copies.Count - 1; i >= 0; i--)
                {
                    var copy = copies[i];
                    var count = Unreported(copy);
                    if (count > 0)
                    {
                        entries.Add(new RelayReportEntry(copy, keys.Room(roomId).ToString(), copy.Room!.Epoch, count));
                    }
                    else if (copy.Dropped)
                    {
                        copies.RemoveAt(i);
                    }
                }

                if (copies.Count == 0)
                {
                    (forgotten ??= []).Add(roomId);
                }
            }

            foreach (var roomId in forgotten ?? [])
            {
                _copies.Remove(roomId);
            }

            if (entries.Count == 0)
            {
                return null;
            }

            _reports++;
            _pending = new RelayReport(_life + ":" + _reports.ToString(CultureInfo.InvariantCulture), _reports, [.. entries]);
            return _pending;
        }
    }

    /// <summary>Redis answered <paramref name="report"/>: it holds its counts (or the rooms are gone).</summary>
    public void Answered(RelayReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_gate)
        {
            if (!ReferenceEquals(_pending, report))
            {
                return;
            }

            foreach (var entry in report.Entries)
            {
                entry.Copy.ReportedRelays += entry.Count;
            }

            _pending = null;
            _answered.Enqueue(report);
            if (_answered.Count > KeptReports)
            {
                _answered.Dequeue();
            }
        }
    }

    /// <summary>
    /// What this node counted in room <paramref name="roomId"/> (of <paramref name="epoch"/>) that a read of its hash
    /// did not include, the read having seen <paramref name="lastReport"/> as this node's last report added.
    /// </summary>
    public long Unreported(string roomId, string epoch, string? lastReport)
    {
        lock (_gate)
        {
            if (!_copies.TryGetValue(roomId, out var copies))
            {
                return 0;
            }

            var seen = ReportNumber(lastReport);
            var count = 0L;
            foreach (var copy in copies)
            {
                if (copy.Room?.Epoch != epoch)
                {
                    continue;
                }

                count += Unreported(copy);
                foreach (var report in _answered)
                {
                    count += report.Number > seen ? report.CountOf(copy) : 0;
                }

                count -= _pending is { } pending && pending.Number <= seen ? pending.CountOf(copy) : 0;
            }

            return count;
        }
    }

    /// <summary>What <paramref name="copy"/> counted beyond what was answered (under the lock).</summary>
    private static long Unreported(Replica copy) => copy.Room is { } room ? room.RelayedHere - copy.ReportedRelays : 0;

    /// <summary>The number of a report id of this life; 0 for none (no report of this life was added).</summary>
    private long ReportNumber(string? id)
    {
        var prefix = _life + ":";
        return id is not null && id.StartsWith(prefix, StringComparison.Ordinal)
            && long.TryParse(id.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : 0;
    }
}

/// <summary>A heartbeat's report of relays per room: its id (this node's life and its number) and what it adds.</summary>
internal sealed class RelayReport(string id, long number, RelayReportEntry[] entries)
{
    private readonly Dictionary<Replica, long> _byCopy = entries.ToDictionary(e => e.Copy, e => e.Count);

    public string Id { get; } = id;

    public long Number { get; } = number;

    /// <summary>One per copy that counted relays since its last report.</summary>
    public IReadOnlyList<RelayReportEntry> Entries { get; } = entries;

    /// <summary>What this report adds for <paramref name="copy"/>.</summary>
    public long CountOf(Replica copy) => _byCopy.GetValueOrDefault(copy);
}

/// <summary>The relays one copy counted since its last report, for the room hash <paramref name="RoomKey"/> of <paramref name="Epoch"/>.</summary>
internal readonly record struct RelayReportEntry(Replica Copy, string RoomKey, string Epoch, long Count);
