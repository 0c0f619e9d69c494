using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Relay.Client.Tests.Infrastructure;

/// <summary>One event a <see cref="RelayRealtimeClient"/> raised: its name (e.g. <c>DataReceived</c>), its argument and its place in the order.</summary>
public sealed record ProbeEvent(int Index, string Name, object Args);

/// <summary>
/// A realtime client with everything it raises recorded, in the order it was raised, to wait on with bounded
/// timeouts. The probe subscribes before anyone else, so its record of an event comes before other handlers run.
/// </summary>
public sealed class Probe : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly Channel<ServerMessage> _messages = Channel.CreateUnbounded<ServerMessage>();
    private readonly Channel<RelayReconnectedEventArgs> _reconnected = Channel.CreateUnbounded<RelayReconnectedEventArgs>();
    private readonly Lock _gate = new();
    private readonly List<ProbeEvent> _events = [];
    private TaskCompletionSource _recorded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Probe(RelayRealtimeClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        Client = client;
        client.MessageReceived += (_, m) =>
        {
            Record(nameof(client.MessageReceived), m);
            _messages.Writer.TryWrite(m);
        };
        client.Connected += (_, e) => Record(nameof(client.Connected), e);
        client.ClientJoined += (_, e) => Record(nameof(client.ClientJoined), e);
        client.ClientLeft += (_, e) => Record(nameof(client.ClientLeft), e);
        client.HostChanged += (_, e) => Record(nameof(client.HostChanged), e);
        client.DataReceived += (_, e) => Record(nameof(client.DataReceived), e);
        client.BinaryReceived += (_, e) => Record(nameof(client.BinaryReceived), e);
        client.Kicked += (_, e) => Record(nameof(client.Kicked), e);
        client.RoomClosed += (_, e) => Record(nameof(client.RoomClosed), e);
        client.Left += (_, e) => Record(nameof(client.Left), e);
        client.Pong += (_, e) => Record(nameof(client.Pong), e);
        client.ErrorReceived += (_, e) => Record(nameof(client.ErrorReceived), e);
        client.Reconnecting += (_, e) =>
        {
            Record(nameof(client.Reconnecting), e);
            Reconnecting.Enqueue(e);
        };
        client.Reconnected += (_, e) =>
        {
            Record(nameof(client.Reconnected), e);
            _reconnected.Writer.TryWrite(e);
        };
        client.ResumeFailed += (_, e) =>
        {
            Record(nameof(client.ResumeFailed), e);
            ResumeFailed.Enqueue(e);
        };
        client.Closed += (_, e) => Record(nameof(client.Closed), e);
        client.EventHandlerFailed += (_, e) =>
        {
            Record(nameof(client.EventHandlerFailed), e);
            HandlerFailures.Enqueue(e);
        };
    }

    public RelayRealtimeClient Client { get; }

    public ConnectedMessage Connected { get; set; } = null!;

    public int Id => Client.ClientId ?? throw new InvalidOperationException("not in a room");

    public ConcurrentQueue<RelayReconnectingEventArgs> Reconnecting { get; } = new();

    public ConcurrentQueue<Exception> HandlerFailures { get; } = new();

    /// <summary>Every event raised so far, in order.</summary>
    public IReadOnlyList<ProbeEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    public ConcurrentQueue<RelayResumeFailedEventArgs> ResumeFailed { get; } = new();

    /// <summary>The next message of type <typeparamref name="T"/> matching <paramref name="match"/>; others are skipped.</summary>
    public async Task<T> NextAsync<T>(Func<T, bool>? match = null, TimeSpan? within = null)
        where T : ServerMessage
    {
        using var timeout = new CancellationTokenSource(within ?? Timeout);
        while (true)
        {
            ServerMessage message;
            try
            {
                message = await _messages.Reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No {typeof(T).Name} within {within ?? Timeout}.");
            }

            if (message is T typed && (match is null || match(typed)))
            {
                return typed;
            }
        }
    }

    /// <summary>
    /// Waits (bounded) until <paramref name="count"/> events named <paramref name="name"/> (e.g.
    /// <c>nameof(RelayRealtimeClient.ErrorReceived)</c>) have been raised, and returns them in order.
    /// </summary>
    public async Task<IReadOnlyList<ProbeEvent>> EventsAsync(string name, int count)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            Task recorded;
            lock (_gate)
            {
                var found = _events.Where(e => e.Name == name).ToList();
                if (found.Count >= count)
                {
                    return found;
                }

                recorded = _recorded.Task;
            }

            try
            {
                await recorded.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException(
                    $"{count} {name} events expected within {Timeout}; raised: {string.Join(", ", Events.Select(e => e.Name))}");
            }
        }
    }

    /// <summary>The names of the events raised so far among <paramref name="names"/>, in order.</summary>
    public IReadOnlyList<string> Order(params string[] names) => [.. Events.Where(e => names.Contains(e.Name)).Select(e => e.Name)];

    public async Task<RelayReconnectedEventArgs> NextReconnectedAsync() =>
        await _reconnected.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

    public Task<RelayClosedEventArgs> ClosedAsync() => Client.Completion.WaitAsync(Timeout);

    public ValueTask DisposeAsync() => Client.DisposeAsync();

    private void Record(string name, object args)
    {
        TaskCompletionSource recorded;
        lock (_gate)
        {
            _events.Add(new ProbeEvent(_events.Count, name, args));
            recorded = _recorded;
            _recorded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        recorded.TrySetResult();
    }
}
