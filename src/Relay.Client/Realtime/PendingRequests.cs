using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;

namespace Relay.Client;

/// <summary>The client's own requests (<c>connect</c>, <c>resume</c>, <c>leave</c>, <c>ping</c>) waiting for their reply, matched by integer <c>ref</c>.</summary>
internal sealed class PendingRequests
{
    private readonly ConcurrentDictionary<long, TaskCompletionSource<ServerMessage>> _pending = new();
    private long _nextRef;

    /// <summary>Sends <paramref name="type"/> with a new ref on <paramref name="socket"/> and waits for the message that echoes it.</summary>
    public async Task<ServerMessage> RequestAsync(RealtimeSocket socket, JsonEncodedText type, Action<Utf8JsonWriter>? fields, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextRef);
        var reply = new TaskCompletionSource<ServerMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        try
        {
            await socket.SendAsync(ClientFrames.Message(type, new MessageRef(null, id), fields), WebSocketMessageType.Text, cancellationToken).ConfigureAwait(false);
            return await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>Completes the request <paramref name="message"/> answers, if any.</summary>
    public void Complete(ServerMessage message)
    {
        if (message.OwnRef is { } id && _pending.TryRemove(id, out var reply))
        {
            reply.TrySetResult(message);
        }
    }

    /// <summary>The connection closed: every waiting request fails.</summary>
    public void FailAll()
    {
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var reply))
            {
                reply.TrySetException(new RelayRealtimeException("The connection closed before the server replied."));
            }
        }
    }
}
