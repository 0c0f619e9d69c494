using System.Text;
using System.Text.Json;
using Relay.Domain.Connections;
using Relay.Domain.Frames;

namespace Relay.UnitTests.TestSupport;

/// <summary>One frame a test connection accepted: a copy of its bytes taken at <c>TrySend</c> time.</summary>
internal sealed record SentFrame(FrameKind Kind, byte[] Bytes, OutboundFrame Frame)
{
    public string Text => Encoding.UTF8.GetString(Bytes);

    public JsonElement Json
    {
        get
        {
            using var document = JsonDocument.Parse(Bytes);
            return document.RootElement.Clone();
        }
    }

    public string Type => Json.GetProperty("type").GetString()!;
}

/// <summary>
/// An <see cref="IConnection"/> that records every frame it accepts (a copy of the bytes, and the frame object) and
/// every close, with the membership epochs of a real transport: a send with an ended epoch is refused. It accepts
/// unless <see cref="Accepts"/> is false. It takes no reference of its own, so a frame is disposed as soon as its
/// creator (and any history or gate holding it) releases it.
/// </summary>
internal sealed class TestConnection : IConnection
{
    private static long s_ids;
    private readonly Lock _gate = new();
    private readonly List<SentFrame> _frames = [];
    private readonly List<(ushort Code, string Reason)> _closes = [];
    private int _epoch;
    private int _endedEpochs;

    public long Id { get; } = Interlocked.Increment(ref s_ids);

    public int Epoch => Volatile.Read(ref _epoch);

    public bool Accepts { get; set; } = true;

    /// <summary>How many times <see cref="EndEpoch"/> was called (once per membership that ended on this connection).</summary>
    public int EndedEpochs => Volatile.Read(ref _endedEpochs);

    public IReadOnlyList<SentFrame> Frames
    {
        get
        {
            lock (_gate)
            {
                return [.. _frames];
            }
        }
    }

    /// <summary>Every <see cref="Close"/> call, in order.</summary>
    public IReadOnlyList<(ushort Code, string Reason)> Closes
    {
        get
        {
            lock (_gate)
            {
                return [.. _closes];
            }
        }
    }

    public IReadOnlyList<ushort> CloseCodes => [.. Closes.Select(c => c.Code)];

    public bool TrySend(OutboundFrame frame) => Record(frame, epoch: null);

    public bool TrySend(OutboundFrame frame, int epoch) => Record(frame, epoch);

    public bool TrySendReplay(OutboundFrame frame) => Record(frame, epoch: null);

    public void EndEpoch()
    {
        lock (_gate)
        {
            _epoch++;
            _endedEpochs++;
        }
    }

    public void Close(ushort code, string reason)
    {
        lock (_gate)
        {
            _closes.Add((code, reason));
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _frames.Clear();
            _closes.Clear();
        }
    }

    private bool Record(OutboundFrame frame, int? epoch)
    {
        ArgumentNullException.ThrowIfNull(frame);
        lock (_gate)
        {
            if (!Accepts || (epoch is { } e && e != _epoch))
            {
                return false;
            }

            _frames.Add(new SentFrame(frame.Kind, frame.Memory.ToArray(), frame));
            return true;
        }
    }
}
