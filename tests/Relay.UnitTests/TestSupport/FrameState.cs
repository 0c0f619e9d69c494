using Relay.Domain.Frames;

namespace Relay.UnitTests.TestSupport;

internal static class FrameState
{
    /// <summary>True once every reference to <paramref name="frame"/> has been released (its buffer is gone).</summary>
    public static bool IsReleased(OutboundFrame frame)
    {
        try
        {
            _ = frame.Memory;
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }
}
