using Relay.Domain.Frames;

namespace Relay.Domain.Rooms;

/// <summary>
/// The room events a client coming back may have missed, bounded by count, bytes and age (the resume window):
/// each kept as the frame a resumable client receives (shared, reference counted) with the audience it was sent to.
/// Used under the room's gate.
/// </summary>
public sealed class RoomHistory(int maxMessages, long maxBytes)
{
    private readonly Queue<Entry> _entries = new();
    private long _bytes;

    /// <summary>The highest sequence number no longer kept (0: nothing dropped yet).</summary>
    public long DroppedThrough { get; private set; }

    public int Count => _entries.Count;

    public long Bytes => _bytes;

    /// <summary>Keeps <paramref name="frame"/> (taking a reference), then drops what is over the bounds.</summary>
    public void Append(long seq, Audience audience, OutboundFrame frame, DateTimeOffset now, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(frame);
        frame.AddReference();
        _entries.Enqueue(new Entry(seq, audience, frame, now));
        _bytes += frame.Length;
        while (_entries.Count > 0 && (_entries.Count > maxMessages || _bytes > maxBytes || _entries.Peek().At < now - window))
        {
            Drop();
        }
    }

    /// <summary>
    /// Adds (with a reference each) the frames after <paramref name="afterSeq"/> that <paramref name="clientId"/> was
    /// sent; false, adding nothing, when some of them are no longer kept.
    /// </summary>
    public bool TryCollect(long afterSeq, int clientId, List<OutboundFrame> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        if (afterSeq < DroppedThrough)
        {
            return false;
        }

        foreach (var entry in _entries)
        {
            if (entry.Seq > afterSeq && entry.Audience.Includes(clientId))
            {
                entry.Frame.AddReference();
                into.Add(entry.Frame);
            }
        }

        return true;
    }

    /// <summary>Lets go of what is older than <paramref name="window"/>.</summary>
    public void Expire(DateTimeOffset now, TimeSpan window)
    {
        while (_entries.Count > 0 && _entries.Peek().At < now - window)
        {
            Drop();
        }
    }

    /// <summary>Lets go of everything (the room closed).</summary>
    public void Clear()
    {
        while (_entries.Count > 0)
        {
            Drop();
        }
    }

    private void Drop()
    {
        var oldest = _entries.Dequeue();
        _bytes -= oldest.Frame.Length;
        DroppedThrough = oldest.Seq;
        oldest.Frame.Release();
    }

    private readonly record struct Entry(long Seq, Audience Audience, OutboundFrame Frame, DateTimeOffset At);
}
