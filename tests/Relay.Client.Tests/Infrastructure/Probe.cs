using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Relay.Client.Tests.Infrastructure;

/// <summary>A realtime client with everything it raises recorded, to wait on with bounded timeouts.</summary>
public sealed class Probe : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly Channel<ServerMessage> _messages = Channel.CreateUnbounded<ServerMessage>();
    private readonly Channel<RelayReconnectedEventArgs> _reconnected = Channel.CreateUnbounded<RelayReconnectedEventArgs>();

    public Probe(RelayRealtimeClient client)
    {
        Client = client;
        client.MessageReceived += (_, m) => _messages.Writer.TryWrite(m);
        client.Reconnecting += (_, e) => Reconnecting.Enqueue(e);
        client.Reconnected += (_, e) => _reconnected.Writer.TryWrite(e);
        client.ResumeFailed += (_, e) => ResumeFailed.Enqueue(e);
        client.EventHandlerFailed += (_, e) => HandlerFailures.Enqueue(e);
    }

    public RelayRealtimeClient Client { get; }

    public ConnectedMessage Connected { get; set; } = null!;

    public int Id => Client.ClientId ?? throw new InvalidOperationException("not in a room");

    public ConcurrentQueue<RelayReconnectingEventArgs> Reconnecting { get; } = new();

    public ConcurrentQueue<Exception> HandlerFailures { get; } = new();

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

    public async Task<RelayReconnectedEventArgs> NextReconnectedAsync() =>
        await _reconnected.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

    public Task<RelayClosedEventArgs> ClosedAsync() => Client.Completion.WaitAsync(Timeout);

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
