using System.Net.WebSockets;
using System.Threading.Channels;

namespace Relay.Client;

/// <summary>
/// Every message from the server, in order, on the receive loop: parsed (binary relays in the layout of this client's
/// seat), dropped when it is a room event delivered already, applied to the room view and the client's state, raised
/// as events, matched to the request it answers, then written to the message stream.
/// </summary>
internal sealed class MessageInbox
{
    private readonly ResumeState _resume;
    private readonly RoomState _room;
    private readonly ConnectionLifecycle _lifecycle;
    private readonly ClientEvents _events;
    private readonly PendingRequests _pending;
    private readonly CancellationToken _lifetime;
    private readonly Channel<ServerMessage>? _stream;

    public MessageInbox(RelayRealtimeOptions options, ResumeState resume, RoomState room, ConnectionLifecycle lifecycle, ClientEvents events, PendingRequests pending, CancellationToken lifetime)
    {
        _resume = resume;
        _room = room;
        _lifecycle = lifecycle;
        _events = events;
        _pending = pending;
        _lifetime = lifetime;
        if (options.EnableMessageStream)
        {
            _stream = Channel.CreateBounded<ServerMessage>(new BoundedChannelOptions(options.MessageStreamCapacity)
            {
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        }
    }

    /// <summary>The message stream, or null when it is not enabled.</summary>
    public ChannelReader<ServerMessage>? Stream => _stream?.Reader;

    /// <summary>Handles one complete message (the receive loop reads the next once this completes).</summary>
    public ValueTask ReceiveAsync(byte[] frame, WebSocketMessageType type) =>
        DeliverAsync(type == WebSocketMessageType.Binary
            ? ServerMessageParser.ParseBinary(frame, _resume.Sequenced)
            : ServerMessageParser.ParseText(frame));

    /// <summary>The client closed for good: the stream ends.</summary>
    public void Complete() => _stream?.Writer.TryComplete();

    private async ValueTask DeliverAsync(ServerMessage message)
    {
        if (!_resume.Accept(message))
        {
            return;
        }

        Apply(message);
        _events.RaiseMessage(message);

        // After the events, so a request (connect, resume, leave, ping) completes once its reply's handlers have run.
        _pending.Complete(message);
        if (_stream is not null && !_stream.Writer.TryWrite(message))
        {
            try
            {
                await _stream.Writer.WriteAsync(message, _lifetime).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
            {
                // Closing: the reader has stopped, or the client is shutting down.
            }
        }
    }

    private void Apply(ServerMessage message)
    {
        // A replayed event is already part of the room view that `resumed` brought.
        if (!_resume.InSnapshot(message))
        {
            _room.Apply(message);
        }

        switch (message)
        {
            case ConnectedMessage reply:
                _resume.Joined(reply);
                break;
            case LeftMessage:
                _room.Vacate();
                _resume.Forget();
                _lifecycle.Move(RelayConnectionState.Connected, RelayConnectionState.Left);
                break;
            case KickedMessage kicked:
                _lifecycle.Kicked = kicked;
                break;
            case RoomClosedMessage closed:
                _lifecycle.RoomClosed = closed;
                break;
        }
    }
}
