namespace Relay.Client;

/// <summary>
/// The client's state (<see cref="RelayConnectionState"/>: Created → Connecting → Connected ⇄ Left / Reconnecting →
/// Closed), whether the application asked to close, what the server said before closing (kicked, room closed), and
/// the one end of the client.
/// </summary>
internal sealed class ConnectionLifecycle
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<RelayClosedEventArgs> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile RelayConnectionState _state = RelayConnectionState.Created;
    private volatile bool _closeRequested;
    private volatile KickedMessage? _kicked;
    private volatile RoomClosedMessage? _roomClosed;

    public RelayConnectionState State => _state;

    /// <summary>The application closed (or is closing) the client.</summary>
    public bool CloseRequested => _closeRequested;

    /// <summary>The <c>kicked</c> the current connection received, if any.</summary>
    public KickedMessage? Kicked
    {
        get => _kicked;
        set => _kicked = value;
    }

    /// <summary>The <c>room_closed</c> the current connection received, if any.</summary>
    public RoomClosedMessage? RoomClosed
    {
        get => _roomClosed;
        set => _roomClosed = value;
    }

    /// <summary>Completes, with the reason, when the client closes for good.</summary>
    public Task<RelayClosedEventArgs> Completion => _completion.Task;

    /// <summary>Created → Connecting.</summary>
    /// <exception cref="InvalidOperationException">The client was started before.</exception>
    public void Start()
    {
        lock (_gate)
        {
            if (_state != RelayConnectionState.Created)
            {
                throw new InvalidOperationException($"ConnectAsync can be called once, on a new client; this client is {_state}.");
            }

            _state = RelayConnectionState.Connecting;
        }
    }

    /// <summary>Records the application's close; false when the client is closed already.</summary>
    public bool RequestClose()
    {
        lock (_gate)
        {
            if (_state == RelayConnectionState.Closed)
            {
                return false;
            }

            _closeRequested = true;
            return true;
        }
    }

    /// <summary>Moves the state from <paramref name="from"/> to <paramref name="to"/>, unless it changed meanwhile (e.g. to closed).</summary>
    public void Move(RelayConnectionState from, RelayConnectionState to)
    {
        lock (_gate)
        {
            if (_state == from)
            {
                _state = to;
            }
        }
    }

    /// <summary>A new connection: what the previous one was told no longer holds.</summary>
    public void NewConnection()
    {
        _kicked = null;
        _roomClosed = null;
    }

    /// <summary>Moves to Closed and describes the end; null when the client was closed already.</summary>
    public RelayClosedEventArgs? TryClose(RelayCloseReason reason, SocketEnd? end, Exception? error)
    {
        lock (_gate)
        {
            if (_state == RelayConnectionState.Closed)
            {
                return null;
            }

            _state = RelayConnectionState.Closed;
        }

        return new RelayClosedEventArgs
        {
            Reason = reason,
            CloseStatus = end?.CloseStatus,
            CloseDescription = end?.CloseDescription,
            Kicked = _kicked,
            RoomClosed = _roomClosed,
            Exception = error,
        };
    }

    /// <summary>Completes <see cref="Completion"/> (after the <c>Closed</c> handlers ran).</summary>
    public void Complete(RelayClosedEventArgs end) => _completion.TrySetResult(end);
}
