using Relay.Domain.Connections;
using Relay.Domain.Frames;

namespace Relay.Application.Realtime.Delivery;

/// <summary>
/// The connection of a client that is coming back, while what it missed is being gathered: live room events that
/// reach it meanwhile are held, and <see cref="Open"/> writes `resumed`, the missed events, then the held ones, in
/// that order, before letting frames through. So a resumed client sees every event once, in sequence order.
/// </summary>
public sealed class ReplayGate(IConnection inner) : IConnection
{
    private readonly Lock _gate = new();
    private List<OutboundFrame>? _held = [];

    public long Id => inner.Id;

    public int Epoch => inner.Epoch;

    public bool TrySend(OutboundFrame frame) => inner.TrySend(frame);

    public bool TrySendReplay(OutboundFrame frame) => inner.TrySendReplay(frame);

    public bool TrySend(OutboundFrame frame, int epoch)
    {
        lock (_gate)
        {
            if (_held is null)
            {
                return inner.TrySend(frame, epoch);
            }

            if (epoch != inner.Epoch)
            {
                return false;
            }

            frame.AddReference();
            _held.Add(frame);
            return true;
        }
    }

    public void EndEpoch()
    {
        lock (_gate)
        {
            inner.EndEpoch();
            Discard();
        }
    }

    public void Close(ushort code, string reason)
    {
        lock (_gate)
        {
            Discard();
        }

        inner.Close(code, reason);
    }

    /// <summary>
    /// Writes <paramref name="first"/> (`resumed` and the missed events, taking over the caller's references), then the
    /// live frames held meanwhile (all newer than the missed ones), then lets frames through.
    /// </summary>
    public void Open(IReadOnlyList<OutboundFrame> first)
    {
        ArgumentNullException.ThrowIfNull(first);
        lock (_gate)
        {
            foreach (var frame in first)
            {
                inner.TrySendReplay(frame);
                frame.Release();
            }

            if (_held is { } held)
            {
                _held = null;
                foreach (var frame in held)
                {
                    inner.TrySend(frame);
                    frame.Release();
                }
            }
        }
    }

    private void Discard()
    {
        if (_held is { } held)
        {
            _held = [];
            foreach (var frame in held)
            {
                frame.Release();
            }
        }
    }
}
