using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Relay.Benchmarks.Support;

/// <summary>
/// Columns for benchmarks with a <c>Members</c> parameter (the sender plus <c>Members - 1</c> recipients):
/// the mean time per recipient, and the allocation slope, i.e. how many more bytes each extra recipient costs
/// compared with the smallest room of the same benchmark. A slope of 0 means nothing is allocated per recipient.
/// </summary>
public sealed class PerRecipientColumn : IColumn
{
    public const string MembersParameter = "Members";

    public static readonly IColumn Time = new PerRecipientColumn(slope: false);

    public static readonly IColumn AllocationSlope = new PerRecipientColumn(slope: true);

    private readonly bool _slope;

    private PerRecipientColumn(bool slope) => _slope = slope;

    public string Id => _slope ? "AllocPerRecipientSlope" : "TimePerRecipient";

    public string ColumnName => _slope ? "Alloc/recipient" : "Time/recipient";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => _slope ? 1 : 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => _slope
        ? "Extra bytes allocated per extra recipient, against the smallest room of the same benchmark (0 B: no per-recipient allocation)"
        : "Mean time divided by the number of recipients (Members - 1)";

    public bool IsAvailable(Summary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return summary.BenchmarksCases.Any(c => Members(c) is not null);
    }

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        if (Members(benchmarkCase) is not { } members || members < 2)
        {
            return "-";
        }

        return _slope ? Slope(summary, benchmarkCase, members) : TimePerRecipient(summary, benchmarkCase, members);
    }

    private static string TimePerRecipient(Summary summary, BenchmarkCase benchmarkCase, int members)
    {
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return mean is { } ns ? (ns / (members - 1)).ToString("0.00 'ns'", CultureInfo.InvariantCulture) : "?";
    }

    private static string Slope(Summary summary, BenchmarkCase benchmarkCase, int members)
    {
        // The smallest room of the same method, job and other parameters is the reference point.
        var reference = summary.BenchmarksCases
            .Where(c => c.Descriptor == benchmarkCase.Descriptor && c.Job == benchmarkCase.Job && SameOtherParameters(c, benchmarkCase))
            .Where(c => Members(c) is not null)
            .MinBy(c => Members(c)!.Value);
        if (reference is null || ReferenceEquals(reference, benchmarkCase) || Members(reference) == members)
        {
            return "(reference)";
        }

        var bytes = Allocated(summary, benchmarkCase);
        var referenceBytes = Allocated(summary, reference);
        if (bytes is null || referenceBytes is null)
        {
            return "?";
        }

        var slope = (double)(bytes.Value - referenceBytes.Value) / (members - Members(reference)!.Value);
        return slope.ToString("0.## 'B'", CultureInfo.InvariantCulture);
    }

    private static long? Allocated(Summary summary, BenchmarkCase benchmarkCase) =>
        summary[benchmarkCase] is { } report ? report.GcStats.GetBytesAllocatedPerOperation(benchmarkCase) : null;

    private static int? Members(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == MembersParameter)?.Value as int?;

    private static bool SameOtherParameters(BenchmarkCase a, BenchmarkCase b) =>
        a.Parameters.Items.Where(p => p.Name != MembersParameter)
            .All(p => Equals(p.Value, b.Parameters[p.Name]));
}
