namespace Relay.UnitTests.TestSupport;

/// <summary>Runs actions on dedicated threads released together by a barrier; bounded by a timeout.</summary>
internal static class Concurrently
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs <paramref name="body"/> on <paramref name="count"/> threads at once; the synchronous part of each runs on its own thread.</summary>
    public static async Task<T[]> RunAsync<T>(int count, Func<int, ValueTask<T>> body)
    {
        using var barrier = new Barrier(count);
        var tasks = new Task<T>[count];
        for (var i = 0; i < count; i++)
        {
            var index = i;
            tasks[i] = Task.Factory.StartNew(
                () =>
                {
                    if (!barrier.SignalAndWait(Timeout))
                    {
                        throw new TimeoutException("the other threads did not start");
                    }

                    return body(index).AsTask();
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default).Unwrap();
        }

        return await Task.WhenAll(tasks).WaitAsync(Timeout);
    }

    /// <summary>Runs the synchronous <paramref name="body"/> on <paramref name="count"/> threads at once.</summary>
    public static Task<T[]> RunSyncAsync<T>(int count, Func<int, T> body) =>
        RunAsync(count, i => ValueTask.FromResult(body(i)));

    public static Task<T[]> RunAsync<T>(params Func<ValueTask<T>>[] bodies) => RunAsync(bodies.Length, i => bodies[i]());
}
