using Microsoft.Extensions.Options;
using Relay.Application.Common.Options;
using Relay.Application.Webhooks;

namespace Relay.Infrastructure.Webhooks;

/// <summary>
/// A claim on events that live in a shared queue (a cluster's partition of rooms): the dispatcher reports each event
/// it finished (<see cref="Done"/>, delivered or given up) so that the queue forgets it, skips those not started once
/// the claim is <see cref="Stopping"/>, and aborts the one in flight when the claim is <see cref="Lost"/>.
/// </summary>
public abstract class WebhookClaim
{
    /// <summary>Cancelled when this node may no longer deliver these events (another node may already be).</summary>
    public abstract CancellationToken Lost { get; }

    /// <summary>True once events not yet started are to be left to the next holder.</summary>
    public abstract bool Stopping { get; }

    /// <summary>The event stored under <paramref name="entryId"/> is finished: the queue may forget it.</summary>
    public abstract void Done(string entryId);

    /// <summary>The dispatcher has let go of one event of this claim (finished, skipped or aborted).</summary>
    public abstract void Released();
}

/// <summary>
/// The events waiting to be delivered on this node, one line per room: a room's events go one at a time, in order,
/// the next only once the previous was delivered or given up; rooms do not wait for each other. Nothing here runs on
/// the caller's thread but an enqueue, so a slow or failing endpoint never slows relaying or joins. Events of this
/// node (a single node) count against `Relay:Webhooks:MaxQueuedEvents`: past it an event is dropped and counted.
/// Events claimed from a shared queue are bounded there instead.
/// </summary>
public sealed class WebhookDispatcher(WebhookSender sender, IOptions<RelayOptions> options, WebhookStats stats) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Line> _lines = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly int _max = options.Value.Webhooks.MaxQueuedEvents;
    private int _local;
    private int _total;
    private TaskCompletionSource? _emptied;

    /// <summary>Events waiting or in flight on this node.</summary>
    public int Count => Volatile.Read(ref _total);

    /// <summary>Queues an event of this node; false (dropped and counted) when the queue is full.</summary>
    public bool TryEnqueue(WebhookEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        lock (_gate)
        {
            if (_local >= _max)
            {
                stats.RecordOverflow();
                return false;
            }

            _local++;
            Add(new Item(e, null, null));
        }

        return true;
    }

    /// <summary>Queues an event read from a shared queue under <paramref name="claim"/> (stored as <paramref name="entryId"/>).</summary>
    public void Enqueue(WebhookEvent e, WebhookClaim claim, string entryId)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(claim);
        lock (_gate)
        {
            Add(new Item(e, claim, entryId));
        }
    }

    /// <summary>Waits until nothing is waiting (or <paramref name="timeout"/> passes); true when empty.</summary>
    public async Task<bool> DrainAsync(TimeSpan timeout)
    {
        Task emptied;
        lock (_gate)
        {
            if (_total == 0)
            {
                return true;
            }

            _emptied ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            emptied = _emptied.Task;
        }

        try
        {
            await emptied.WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Aborts whatever is in flight (the node stops).</summary>
    public void Stop() => _stopping.Cancel();

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    /// <summary>Adds under the gate; starts the room's line when it was idle.</summary>
    private void Add(Item item)
    {
        _total++;
        stats.RecordQueued(1);
        if (!_lines.TryGetValue(item.Event.RoomId, out var line))
        {
            line = new Line(item.Event.RoomId);
            _lines.Add(line.RoomId, line);
        }

        line.Items.Enqueue(item);
        if (!line.Running)
        {
            line.Running = true;
            _ = Task.Run(() => RunAsync(line));
        }
    }

    private async Task RunAsync(Line line)
    {
        while (true)
        {
            Item item;
            lock (_gate)
            {
                if (line.Items.Count == 0)
                {
                    line.Running = false;
                    _lines.Remove(line.RoomId);
                    return;
                }

                item = line.Items.Peek();
            }

            await DeliverAsync(item);
            lock (_gate)
            {
                line.Items.Dequeue();
                _total--;
                if (item.Claim is null)
                {
                    _local--;
                }

                if (_total == 0 && _emptied is { } emptied)
                {
                    _emptied = null;
                    emptied.TrySetResult();
                }
            }

            stats.RecordQueued(-1);
            item.Claim?.Released();
        }
    }

    private async Task DeliverAsync(Item item)
    {
        if (item.Claim is not { } claim)
        {
            if (!_stopping.IsCancellationRequested)
            {
                await SendAsync(item.Event, _stopping.Token);
            }

            return;
        }

        if (claim.Stopping || claim.Lost.IsCancellationRequested || _stopping.IsCancellationRequested)
        {
            // Left in the shared queue for the next holder.
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, claim.Lost);
        if (await SendAsync(item.Event, linked.Token) != DeliveryOutcome.Cancelled)
        {
            claim.Done(item.EntryId!);
        }
    }

    private async Task<DeliveryOutcome> SendAsync(WebhookEvent e, CancellationToken cancellationToken)
    {
        try
        {
            return await sender.SendAsync(e, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return DeliveryOutcome.Cancelled;
        }
    }

    private sealed record Item(WebhookEvent Event, WebhookClaim? Claim, string? EntryId);

    private sealed class Line(string roomId)
    {
        public string RoomId { get; } = roomId;

        public Queue<Item> Items { get; } = new();

        public bool Running { get; set; }
    }
}
