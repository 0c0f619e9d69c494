using System.Diagnostics;
using HdrHistogram;

namespace Relay.LoadGen.Measurement;

/// <summary>
/// Records send-to-receive latency (microseconds) of messages sent within one measurement window into
/// per-thread HdrHistograms, merged when the step ends. Messages sent outside the window (warm-up, the
/// previous step) are ignored, so the count of recorded messages is also the delivered count for the window.
/// When the receiver's node is given and the payload carries its sender's node (clients split across cluster
/// nodes), each latency is recorded as a same-node or a cross-node delivery instead; every delivery is recorded
/// once, and <see cref="Merge()"/> adds the three kinds together.
/// </summary>
public sealed class LatencyRecorder : IDisposable
{
    /// <summary>One minute, in microseconds: anything slower is recorded as one minute.</summary>
    public const long HighestMicros = 60_000_000;

    private readonly ThreadLocal<LongHistogram> _histograms = new(() => new LongHistogram(HighestMicros, 3), trackAllValues: true);
    private readonly ThreadLocal<LongHistogram> _sameNode = new(() => new LongHistogram(HighestMicros, 3), trackAllValues: true);
    private readonly ThreadLocal<LongHistogram> _crossNode = new(() => new LongHistogram(HighestMicros, 3), trackAllValues: true);
    private long _windowStart = long.MaxValue;
    private long _windowEnd = long.MinValue;
    private readonly bool _binary;

    /// <param name="binary">Whether payloads are binary (timestamp as 8 bytes) or JSON text strings.</param>
    public LatencyRecorder(bool binary) => _binary = binary;

    /// <summary>Only messages sent in [start, end) (Stopwatch timestamps) are recorded.</summary>
    public void SetWindow(long start, long end)
    {
        Volatile.Write(ref _windowEnd, end);
        Volatile.Write(ref _windowStart, start);
    }

    /// <summary>
    /// The receive callback of a client on node <paramref name="receiverNode"/> (-1: not split by node): reads
    /// the timestamp from the payload and records the latency, as same-node or cross-node when the payload
    /// names its sender's node.
    /// </summary>
    public void OnMessage(ReadOnlyMemory<byte> payload, long arrived, int receiverNode)
    {
        if (!Payloads.TryReadTimestamp(payload.Span, _binary, out var sent, out var senderNode)
            || sent < Volatile.Read(ref _windowStart) || sent >= Volatile.Read(ref _windowEnd))
        {
            return;
        }

        var micros = Math.Clamp((arrived - sent) * 1_000_000 / Stopwatch.Frequency, 0, HighestMicros);
        var histograms = receiverNode < 0 || senderNode < 0 ? _histograms
            : senderNode == receiverNode ? _sameNode
            : _crossNode;
        histograms.Value!.RecordValue(micros);
    }

    /// <summary>Recorded messages so far (approximate while receivers are still running).</summary>
    public long Count()
    {
        long total = 0;
        foreach (var h in _histograms.Values.Concat(_sameNode.Values).Concat(_crossNode.Values))
        {
            total += h.TotalCount;
        }

        return total;
    }

    /// <summary>Merges the per-thread histograms of every delivery.</summary>
    public LongHistogram Merge() => Merge(_histograms, _sameNode, _crossNode);

    /// <summary>Merges the latencies of deliveries whose sender and receiver were on the same node.</summary>
    public LongHistogram MergeSameNode() => Merge(_sameNode);

    /// <summary>Merges the latencies of deliveries that crossed from one node to another.</summary>
    public LongHistogram MergeCrossNode() => Merge(_crossNode);

    private static LongHistogram Merge(params ReadOnlySpan<ThreadLocal<LongHistogram>> kinds)
    {
        var merged = new LongHistogram(HighestMicros, 3);
        foreach (var histograms in kinds)
        {
            foreach (var h in histograms.Values)
            {
                merged.Add(h);
            }
        }

        return merged;
    }

    public static LatencySummary Summarize(HistogramBase histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        if (histogram.TotalCount == 0)
        {
            return new LatencySummary();
        }

        static double Ms(long micros) => Math.Round(micros / 1000.0, 3);
        return new LatencySummary
        {
            Count = histogram.TotalCount,
            P50Ms = Ms(histogram.GetValueAtPercentile(50)),
            P90Ms = Ms(histogram.GetValueAtPercentile(90)),
            P99Ms = Ms(histogram.GetValueAtPercentile(99)),
            P999Ms = Ms(histogram.GetValueAtPercentile(99.9)),
            MaxMs = Ms(histogram.GetMaxValue()),
            MeanMs = Math.Round(histogram.GetMean() / 1000.0, 3),
        };
    }

    public void Dispose()
    {
        _histograms.Dispose();
        _sameNode.Dispose();
        _crossNode.Dispose();
    }
}
