using System.Net.WebSockets;
using System.Text.Json;

namespace Relay.Client;

/// <summary>
/// The client's connection over its lifetime: the current socket (what sends go to), the first join, watching each
/// socket until it ends, reconnecting with backoff as <see cref="ReconnectPolicy"/> says, closing, and the client's one
/// end.
/// </summary>
internal sealed class ConnectionSupervisor
{
    private readonly RelayRealtimeOptions _options;
    private readonly CancellationTokenSource _lifetime;
    private readonly ConnectionLifecycle _lifecycle;
    private readonly RoomState _room;
    private readonly ResumeState _resume;
    private readonly MessageInbox _inbox;
    private readonly PendingRequests _pending;
    private readonly ClientEvents _events;
    private readonly RoomJoiner _joiner;
    private readonly Action<RealtimeSocket?> _attach;
    private volatile RealtimeSocket? _socket;
    private volatile JoinCredentials _credentials;
    private Task? _supervisor;

    public ConnectionSupervisor(
        RelayRealtimeOptions options,
        CancellationTokenSource lifetime,
        ConnectionLifecycle lifecycle,
        RoomState room,
        ResumeState resume,
        MessageInbox inbox,
        PendingRequests pending,
        ClientEvents events)
    {
        _options = options;
        _lifetime = lifetime;
        _lifecycle = lifecycle;
        _room = room;
        _resume = resume;
        _inbox = inbox;
        _pending = pending;
        _events = events;
        _credentials = JoinCredentials.From(options);
        _joiner = new RoomJoiner(options, resume, inbox, pending, events, lifetime.Token);
        _attach = socket =>
        {
            if (socket is not null)
            {
                lifecycle.NewConnection();
            }

            _socket = socket;
        };
    }

    /// <summary>The first join; on failure the client closes (<see cref="RelayCloseReason.ConnectFailed"/>).</summary>
    public async Task<ConnectedMessage> ConnectAsync(CancellationToken cancellationToken)
    {
        _lifecycle.Start();
        try
        {
            var joined = await _joiner.JoinAsync(_credentials, null, _attach, cancellationToken).ConfigureAwait(false);
            _lifecycle.Move(RelayConnectionState.Connecting, RelayConnectionState.Connected);
            _supervisor = SuperviseAsync(joined);
            if (_lifecycle.CloseRequested)
            {
                await joined.Socket.CloseAsync().ConfigureAwait(false);
            }

            return joined.Reply;
        }
        catch (Exception ex)
        {
            Finish(_lifecycle.CloseRequested ? RelayCloseReason.ClosedByClient : RelayCloseReason.ConnectFailed, null, ex);
            throw;
        }
    }

    /// <summary>Sends a frame on the current connection.</summary>
    /// <exception cref="RelayRealtimeException">The connection is not open.</exception>
    public async Task SendAsync(byte[] frame, WebSocketMessageType type, CancellationToken cancellationToken) =>
        await OpenSocket().SendAsync(frame, type, cancellationToken).ConfigureAwait(false);

    /// <summary>Sends a request on the current connection and waits for its reply.</summary>
    /// <exception cref="RelayRealtimeException">The connection is not open, or closed before the reply.</exception>
    public async Task<ServerMessage> RequestAsync(JsonEncodedText type, Action<Utf8JsonWriter>? fields, CancellationToken cancellationToken) =>
        await _pending.RequestAsync(OpenSocket(), type, fields, cancellationToken).ConfigureAwait(false);

    /// <summary>Joins a room on the open connection after a leave; later reconnects join it.</summary>
    /// <exception cref="RelayRealtimeException">The server refused the join, or the connection closed first.</exception>
    public async Task<ConnectedMessage> JoinAsync(JoinCredentials credentials, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(Wire.EncodedClientTypes.Connect, credentials.ConnectFields(_resume.Enabled), cancellationToken).ConfigureAwait(false);
        if (reply is not ConnectedMessage connected)
        {
            throw new RelayRealtimeException((ErrorMessage)reply);
        }

        _credentials = credentials;
        _lifecycle.Move(RelayConnectionState.Left, RelayConnectionState.Connected);
        return connected;
    }

    /// <summary>Closes deliberately (close 1000), stops reconnecting and waits for the end (at most the close timeout).</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (!_lifecycle.RequestClose())
        {
            return;
        }

        if (_lifecycle.State == RelayConnectionState.Created)
        {
            Finish(RelayCloseReason.ClosedByClient, null, null);
            return;
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (_socket is { } socket)
        {
            await socket.CloseAsync().ConfigureAwait(false);
        }

        if (_supervisor is { } supervisor)
        {
            try
            {
                await supervisor.WaitAsync(_options.CloseTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _socket?.Abort();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync(CancellationToken.None).ConfigureAwait(false);
        if (_supervisor is { } supervisor)
        {
            await supervisor.WaitAsync(_options.CloseTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _socket?.Abort();
        if (_supervisor is null || _supervisor.IsCompleted)
        {
            _lifetime.Dispose();
        }
    }

    /// <summary>Closes the client for good, once: the room view is vacated, the stream ends, <c>Closed</c> is raised, then the completion.</summary>
    private void Finish(RelayCloseReason reason, SocketEnd? end, Exception? error)
    {
        if (_lifecycle.TryClose(reason, end, error) is not { } args)
        {
            return;
        }

        _room.Vacate();
        _inbox.Complete();
        _events.RaiseClosed(args);
        _lifecycle.Complete(args);
    }

    private RealtimeSocket OpenSocket() =>
        _socket is { IsOpen: true } socket ? socket : throw new RelayRealtimeException($"The connection is not open (state {_lifecycle.State}).");

    /// <summary>Waits for the end of each connection, then closes for good or reconnects.</summary>
    private async Task SuperviseAsync(JoinedConnection joined)
    {
        while (true)
        {
            var end = await joined.Loop.ConfigureAwait(false);
            _pending.FailAll();
            _socket = null;
            joined.Socket.Dispose();
            if (ReconnectPolicy.Classify(end, _lifecycle, _options.Reconnect) is { } reason)
            {
                Finish(reason, end, end.Error);
                return;
            }

            var previousClientId = _room.ClientId;
            _lifecycle.Move(RelayConnectionState.Connected, RelayConnectionState.Reconnecting);
            _room.Vacate();
            if (await ReconnectAsync(end, previousClientId).ConfigureAwait(false) is not { } next)
            {
                return;
            }

            joined = next;
        }
    }

    /// <summary>Attempts with backoff until one joins (or resumes), returning it; null when the client closed instead.</summary>
    private async Task<JoinedConnection?> ReconnectAsync(SocketEnd end, int? previousClientId)
    {
        var lastError = end.Error;
        for (var attempt = 1; ; attempt++)
        {
            if (_options.Reconnect.MaxAttempts is { } max && attempt > max)
            {
                Finish(RelayCloseReason.ReconnectFailed, end, lastError);
                return null;
            }

            var delay = _options.Reconnect.GetDelay(attempt);
            _events.RaiseReconnecting(new RelayReconnectingEventArgs
            {
                Attempt = attempt,
                Delay = delay,
                PreviousClientId = previousClientId,
                CloseStatus = end.CloseStatus,
                Exception = lastError,
            });
            try
            {
                await Task.Delay(delay, _lifetime.Token).ConfigureAwait(false);
                var joined = await _joiner.JoinAsync(_credentials, previousClientId, _attach, CancellationToken.None).ConfigureAwait(false);
                _lifecycle.Move(RelayConnectionState.Reconnecting, RelayConnectionState.Connected);
                _events.RaiseReconnected(new RelayReconnectedEventArgs { Connected = joined.Reply, PreviousClientId = previousClientId, Attempts = attempt });
                if (_lifecycle.CloseRequested)
                {
                    await joined.Socket.CloseAsync().ConfigureAwait(false);
                }

                return joined;
            }
            catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
            {
                Finish(RelayCloseReason.ClosedByClient, end, null);
                return null;
            }
            catch (RelayRealtimeException ex) when (ReconnectPolicy.IsRetryable(ex))
            {
                lastError = ex;
            }
            catch (RelayRealtimeException ex)
            {
                Finish(RelayCloseReason.ReconnectFailed, end, ex);
                return null;
            }
        }
    }
}
