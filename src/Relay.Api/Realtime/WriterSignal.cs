using System.Threading.Tasks.Sources;

namespace Relay.Api.Realtime;

/// <summary>
/// Wakes a connection's writer loop: one waiter, at most one <see cref="Set"/> per wait (the transport's
/// <c>_writerWaiting</c> flag, under its lock, guarantees both). Reusable, so waiting allocates nothing, and
/// it holds no cancellation registration while the connection is idle. Continuations run on the thread pool,
/// never inline in the thread that queued a frame (a fan-out loop must not end up writing to a socket).
/// </summary>
internal sealed class WriterSignal : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

    public ValueTask WaitAsync() => new(this, _core.Version);

    public void Set() => _core.SetResult(true);

    public void GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
