using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;

namespace Relay.Client;

/// <summary>
/// A realtime client for one Relay room over a WebSocket: joins the room, receives every server message as
/// events and, optionally, as an async stream (<see cref="ReadMessagesAsync"/>), relays JSON and binary data,
/// performs host operations, measures round-trip time, and reconnects after an abnormal loss when
/// <see cref="RelayRealtimeOptions.Reconnect"/> is enabled.
/// </summary>
/// <remarks>
/// <para>Sends are thread-safe: any number of threads may send at once; frames go out one at a time.</para>
/// <para>
/// Events are raised in order on the client's receive loop: a handler that blocks delays every later message,
/// and a handler must not wait synchronously for this client's tasks. Exceptions thrown by handlers are caught and
/// reported through <see cref="EventHandlerFailed"/>.
/// </para>
/// <para>
/// Errors the server reports for messages without a reply (broadcast, send, kick, transfer, close room) are not
/// thrown: they arrive as <see cref="ErrorMessage"/>s (<see cref="ErrorReceived"/>), carrying the message's
/// <c>ref</c> when one was given. The client uses integer refs for its own requests (connect, leave, ping); give
/// string refs to your messages.
/// </para>
/// </remarks>
public sealed class RelayRealtimeClient : IAsyncDisposable
{
    private static readonly int[] ReconnectableCloseCodes = [1006, 1011, 1012, 1013, 1014, RelayCloseCodes.SlowConsumer];

    private readonly RelayRealtimeOptions _options;
    private readonly Uri _endpoint;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<ServerMessage>> _pending = new();
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource<RelayClosedEventArgs> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<ServerMessage>? _stream;
    private readonly Lock _gate = new();
    private long _nextRef;
    private volatile ClientWebSocket? _socket;
    private Task? _supervisor;
    private volatile RelayConnectionState _state = RelayConnectionState.Created;
    private volatile RoomView _view = RoomView.Empty;
    private volatile bool _closeRequested;
    private volatile KickedMessage? _kicked;
    private volatile RoomClosedMessage? _roomClosed;
    private volatile JoinTarget _target;

    /// <summary>Creates a client; call <see cref="ConnectAsync"/> to join the room.</summary>
    /// <param name="options">The server, room, secret and behaviour.</param>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    public RelayRealtimeClient(RelayRealtimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _endpoint = RelayUris.WebSocket(options.ServerUri);
        _target = new JoinTarget(options.RoomId ?? string.Empty, options.Secret ?? string.Empty, options.Name, options.Token);
        if (options.EnableMessageStream)
        {
            _stream = Channel.CreateBounded<ServerMessage>(new BoundedChannelOptions(options.MessageStreamCapacity)
            {
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        }
    }

    /// <summary>Every server message, text or binary, before its typed event.</summary>
    public event EventHandler<ServerMessage>? MessageReceived;

    /// <summary><c>connected</c>: this client joined the room (on connect, on <see cref="JoinAsync"/> and after each reconnect).</summary>
    public event EventHandler<ConnectedMessage>? Connected;

    /// <summary><c>client_joined</c>: another client joined.</summary>
    public event EventHandler<ClientJoinedMessage>? ClientJoined;

    /// <summary><c>client_left</c>: another client left.</summary>
    public event EventHandler<ClientLeftMessage>? ClientLeft;

    /// <summary><c>host_changed</c>: the room's host changed.</summary>
    public event EventHandler<HostChangedMessage>? HostChanged;

    /// <summary><c>message</c>: JSON data from a client, or from a backend (<see cref="DataMessage.From"/> 0).</summary>
    public event EventHandler<DataMessage>? DataReceived;

    /// <summary>A binary frame from a client.</summary>
    public event EventHandler<BinaryMessage>? BinaryReceived;

    /// <summary><c>kicked</c>: this client was kicked; the connection closes (4001) and is not reconnected.</summary>
    public event EventHandler<KickedMessage>? Kicked;

    /// <summary><c>room_closed</c>: the room closed; the connection closes (4000) and is not reconnected.</summary>
    public event EventHandler<RoomClosedMessage>? RoomClosed;

    /// <summary><c>left</c>: this client left the room.</summary>
    public event EventHandler<LeftMessage>? Left;

    /// <summary><c>pong</c>: the reply to a ping.</summary>
    public event EventHandler<PongMessage>? Pong;

    /// <summary><c>error</c>: a message of this client failed (the connection stays open).</summary>
    public event EventHandler<ErrorMessage>? ErrorReceived;

    /// <summary>The connection was lost abnormally and a reconnect attempt follows after <see cref="RelayReconnectingEventArgs.Delay"/>; raised before every attempt.</summary>
    public event EventHandler<RelayReconnectingEventArgs>? Reconnecting;

    /// <summary>The client reconnected and joined the room again, with a new client id.</summary>
    public event EventHandler<RelayReconnectedEventArgs>? Reconnected;

    /// <summary>The client closed for good (raised once); see also <see cref="Completion"/>.</summary>
    public event EventHandler<RelayClosedEventArgs>? Closed;

    /// <summary>An event handler threw; the client keeps running.</summary>
    public event EventHandler<Exception>? EventHandlerFailed;

    /// <summary>The client's state.</summary>
    public RelayConnectionState State => _state;

    /// <summary>The room this client is in (or was last in).</summary>
    public string? RoomId => _view.RoomId;

    /// <summary>This client's id in the room; null when not in a room. Changes after every reconnect.</summary>
    public int? ClientId => _view.ClientId;

    /// <summary>The room's host, or null.</summary>
    public int? HostId => _view.HostId;

    /// <summary>Whether this client is the room's host.</summary>
    public bool IsHost => _view is { ClientId: { } id, HostId: { } host } && id == host;

    /// <summary>The clients in the room in join order, this one included, kept up to date from the server's events.</summary>
    public IReadOnlyList<RoomMember> Members => _view.Members;

    /// <summary>Completes with the reason when the client closes for good (never faults).</summary>
    public Task<RelayClosedEventArgs> Completion => _completion.Task;

    /// <summary>Opens the WebSocket and joins the room given in the options. Call once.</summary>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The server's <c>connected</c> reply, once the <see cref="Connected"/> handlers have run.</returns>
    /// <exception cref="RelayRealtimeException">
    /// The connection could not be opened (<see cref="RelayRealtimeException.HttpStatusCode"/> for a refused upgrade),
    /// timed out, or the server refused the join (<see cref="RelayRealtimeException.ErrorCode"/>: <c>room_not_found</c>,
    /// <c>invalid_secret</c>, <c>room_full</c>, <c>room_locked</c>...). The client is then closed.
    /// </exception>
    /// <exception cref="InvalidOperationException">Already called.</exception>
    public async Task<ConnectedMessage> ConnectAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_state != RelayConnectionState.Created)
            {
                throw new InvalidOperationException($"ConnectAsync can be called once, on a new client; this client is {_state}.");
            }

            _state = RelayConnectionState.Connecting;
        }

        try
        {
            var (socket, loop, connected) = await OpenAndJoinAsync(_target, cancellationToken).ConfigureAwait(false);
            MoveState(RelayConnectionState.Connecting, RelayConnectionState.Connected);

            _supervisor = SuperviseAsync(socket, loop);
            if (_closeRequested)
            {
                await SendCloseAsync(socket).ConfigureAwait(false);
            }

            return connected;
        }
        catch (Exception ex)
        {
            Finish(_closeRequested ? RelayCloseReason.ClosedByClient : RelayCloseReason.ConnectFailed, null, ex);
            throw;
        }
    }

    /// <summary>
    /// Reads every server message, in order, as an async stream. Needs <see cref="RelayRealtimeOptions.EnableMessageStream"/>.
    /// The stream ends when the client closes for good; it spans reconnects (each brings a new <see cref="ConnectedMessage"/>).
    /// One reader at a time.
    /// </summary>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The messages.</returns>
    /// <exception cref="InvalidOperationException">The message stream is not enabled.</exception>
    public IAsyncEnumerable<ServerMessage> ReadMessagesAsync(CancellationToken cancellationToken = default)
    {
        if (_stream is null)
        {
            throw new InvalidOperationException("Set RelayRealtimeOptions.EnableMessageStream to read messages as a stream.");
        }

        return _stream.Reader.ReadAllAsync(cancellationToken);
    }

    /// <summary>Broadcasts JSON data to every other client the room's protocol allows (<c>broadcast</c>).</summary>
    /// <param name="data">Any JSON value.</param>
    /// <param name="messageRef">A string <c>ref</c> (at most 64 characters) the server echoes in an <c>error</c> this causes.</param>
    /// <param name="cancellationToken">Cancels the send (cancelling a send in progress aborts the connection).</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="RelayRealtimeException">The connection is not open.</exception>
    public Task BroadcastAsync(JsonElement data, string? messageRef = null, CancellationToken cancellationToken = default) =>
        SendDataAsync("broadcast", MessageRef.FromText(messageRef), null, JsonData(data), cancellationToken);

    /// <summary>Broadcasts data given as UTF-8 JSON, sent byte for byte (other clients receive exactly these bytes).</summary>
    /// <param name="utf8Json">One JSON value as UTF-8; validated, not reformatted.</param>
    /// <param name="messageRef">A string <c>ref</c> the server echoes in an <c>error</c> this causes.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="ArgumentException"><paramref name="utf8Json"/> is not one JSON value.</exception>
    /// <exception cref="RelayRealtimeException">The connection is not open.</exception>
    public Task BroadcastJsonAsync(ReadOnlyMemory<byte> utf8Json, string? messageRef = null, CancellationToken cancellationToken = default)
    {
        ClientFrames.ValidateJson(utf8Json.Span, nameof(utf8Json));
        return SendDataAsync("broadcast", MessageRef.FromText(messageRef), null, utf8Json, cancellationToken);
    }

    /// <summary>Broadcasts a value serialized with <paramref name="typeInfo"/>.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="data">The value.</param>
    /// <param name="typeInfo">How to serialize it (e.g. from your source-generated context).</param>
    /// <param name="messageRef">A string <c>ref</c> the server echoes in an <c>error</c> this causes.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="RelayRealtimeException">The connection is not open.</exception>
    public Task BroadcastAsync<T>(T data, JsonTypeInfo<T> typeInfo, string? messageRef = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return SendDataAsync("broadcast", MessageRef.FromText(messageRef), null, JsonSerializer.SerializeToUtf8Bytes(data, typeInfo), cancellationToken);
    }

    /// <summary>Sends JSON data to chosen clients (<c>send</c>).</summary>
    /// <param name="to">1-64 client ids.</param>
    /// <param name="data">Any JSON value.</param>
    /// <param name="messageRef">A string <c>ref</c> the server echoes in an <c>error</c> this causes (<c>unknown_client</c>, <c>forbidden</c>...).</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="RelayRealtimeException">The connection is not open.</exception>
    public Task SendAsync(IEnumerable<int> to, JsonElement data, string? messageRef = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(to);
        return SendDataAsync("send", MessageRef.FromText(messageRef), to, JsonData(data), cancellationToken);
    }

    /// <summary>Sends data given as UTF-8 JSON to chosen clients, byte for byte.</summary>
    /// <param name="to">1-64 client ids.</param>
    /// <param name="utf8Json">One JSON value as UTF-8; validated, not reformatted.</param>
    /// <param name="messageRef">A string <c>ref</c> the server echoes in an <c>error</c> this causes.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="ArgumentException"><paramref name="utf8Json"/> is not one JSON value.</exception>
    /// <exception cref="RelayRealtimeException">The connection is not open.</exception>
    public Task SendJsonAsync(IEnumerable<int> to, ReadOnlyMemory<byte> utf8Json, string? messageRef = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(to);
        ClientFrames.ValidateJson(utf8Json.Span, nameof(utf8Json));
        return SendDataAsync("send", MessageRef.FromText(messageRef), to, utf8Json, cancellationToken);
    }

    /// <summary>Sends a value serialized with <paramref name="typeInfo"/> to chosen clients.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="to">1-64 client ids.</param>
    /// <param name="data">The value.</param>
    /// <param name="typeInfo">How to serialize it.</param>
    /// <param name="messageRef">A string <c>ref</c> the server echoes in an <c>error</c> this causes.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="RelayRealtimeException">The connection is not open.</exception>
    public Task SendAsync<T>(IEnumerable<int> to, T data, JsonTypeInfo<T> typeInfo, string? messageRef = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(to);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return SendDataAsync("send", MessageRef.FromText(messageRef), to, JsonSerializer.SerializeToUtf8Bytes(data, typeInfo), cancellationToken);
    }

    /// <summary>Broadcasts a binary payload (binary frame <c>0x00</c>). Others receive a <see cref="BinaryMessage"/>.</summary>
    /// <param name="payload">The bytes; may be empty.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="RelayRealtimeException">The connection is not open.</exception>
    public Task BroadcastBinaryAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        SendFrameAsync(ClientFrames.BinaryBroadcastFrame(payload.Span), WebSocketMessageType.Binary, cancellationToken);

    /// <summary>Sends a binary payload to one client (binary frame <c>0x01</c>).</summary>
    /// <param name="to">The client id.</param>
    /// <param name="payload">The bytes; may be empty.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="RelayRealtimeException">The connection is not open.</exception>
    public Task SendBinaryAsync(int to, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        SendFrameAsync(ClientFrames.BinarySendFrame(to, payload.Span), WebSocketMessageType.Binary, cancellationToken);

    /// <summary>Host only: kicks a client (<c>kick</c>); it gets <c>kicked</c> and close 4001, the others <c>client_left</c>.</summary>
    /// <param name="clientId">The client to kick (not this client).</param>
    /// <param name="reason">The reason shown to it (at most 256 characters); null for the server's default.</param>
    /// <param name="messageRef">A string <c>ref</c> the server echoes in an <c>error</c> (<c>not_host</c>, <c>unknown_client</c>).</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="RelayRealtimeException">The connection is not open.</exception>
    public Task KickAsync(int clientId, string? reason = null, string? messageRef = null, CancellationToken cancellationToken = default) =>
        SendTextAsync(ClientFrames.Message("kick", MessageRef.FromText(messageRef), w =>
        {
            w.WriteNumber("clientId"u8, clientId);
            if (reason is not null)
            {
                w.WriteString("reason"u8, reason);
            }
        }), cancellationToken);

    /// <summary>Host only: makes another client the host (<c>transfer_host</c>); everyone gets <c>host_changed</c>.</summary>
    /// <param name="clientId">The new host.</param>
    /// <param name="messageRef">A string <c>ref</c> the server echoes in an <c>error</c> (<c>not_host</c>, <c>unknown_client</c>).</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="RelayRealtimeException">The connection is not open.</exception>
    public Task TransferHostAsync(int clientId, string? messageRef = null, CancellationToken cancellationToken = default) =>
        SendTextAsync(ClientFrames.Message("transfer_host", MessageRef.FromText(messageRef), w => w.WriteNumber("clientId"u8, clientId)), cancellationToken);

    /// <summary>Host only: closes the room (<c>close_room</c>); every client, this one included, gets <c>room_closed</c> and close 4000.</summary>
    /// <param name="reason">Shown to clients as <see cref="RoomClosedMessage.Message"/> (at most 256 characters).</param>
    /// <param name="messageRef">A string <c>ref</c> the server echoes in an <c>error</c> (<c>not_host</c>).</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="RelayRealtimeException">The connection is not open.</exception>
    public Task CloseRoomAsync(string? reason = null, string? messageRef = null, CancellationToken cancellationToken = default) =>
        SendTextAsync(ClientFrames.Message("close_room", MessageRef.FromText(messageRef), w =>
        {
            if (reason is not null)
            {
                w.WriteString("reason"u8, reason);
            }
        }), cancellationToken);

    /// <summary>Sends an application-level <c>ping</c> and waits for its <c>pong</c>.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The round-trip time.</returns>
    /// <exception cref="RelayRealtimeException">The connection is not open or closed before the reply, or the server refused the ping (<c>rate_limited</c>).</exception>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var reply = await RequestAsync("ping", null, cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        return reply is ErrorMessage error ? throw new RelayRealtimeException(error) : elapsed;
    }

    /// <summary>
    /// Leaves the room (<c>leave</c>) and waits for <c>left</c>. The connection stays open (state
    /// <see cref="RelayConnectionState.Left"/>); join a room again with <see cref="JoinAsync"/> within the server's
    /// connect timeout (default 10 s), or close. A client that left is not reconnected.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the server confirmed.</returns>
    /// <exception cref="RelayRealtimeException">The connection closed first, or the server refused (<c>not_connected</c>).</exception>
    public async Task LeaveAsync(CancellationToken cancellationToken = default)
    {
        var reply = await RequestAsync("leave", null, cancellationToken).ConfigureAwait(false);
        if (reply is ErrorMessage error)
        {
            throw new RelayRealtimeException(error);
        }
    }

    /// <summary>
    /// Joins a room on the open connection after <see cref="LeaveAsync"/>. Later reconnects join this room.
    /// </summary>
    /// <param name="roomId">The room id.</param>
    /// <param name="secret">Its secret or host secret.</param>
    /// <param name="name">The name to show; null for none.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The server's <c>connected</c> reply.</returns>
    /// <exception cref="InvalidOperationException">The client is not in state <see cref="RelayConnectionState.Left"/>.</exception>
    /// <exception cref="RelayRealtimeException">The server refused the join, or the connection closed first.</exception>
    public async Task<ConnectedMessage> JoinAsync(string roomId, string secret, string? name = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(roomId);
        ArgumentException.ThrowIfNullOrEmpty(secret);
        if (_state != RelayConnectionState.Left)
        {
            throw new InvalidOperationException($"JoinAsync needs a client that left its room; this client is {_state}.");
        }

        var target = new JoinTarget(roomId, secret, name);
        var reply = await RequestAsync("connect", target.Write, cancellationToken).ConfigureAwait(false);
        if (reply is not ConnectedMessage connected)
        {
            throw new RelayRealtimeException((ErrorMessage)reply);
        }

        _target = target;
        MoveState(RelayConnectionState.Left, RelayConnectionState.Connected);
        return connected;
    }

    /// <summary>
    /// Closes the connection deliberately (close 1000) and waits for the server's close handshake (at most
    /// <see cref="RelayRealtimeOptions.CloseTimeout"/>, then aborts). Stops any reconnection. Safe to call more than once.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the client is closed.</returns>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_state == RelayConnectionState.Closed)
            {
                return;
            }

            _closeRequested = true;
        }

        if (_state == RelayConnectionState.Created)
        {
            Finish(RelayCloseReason.ClosedByClient, null, null);
            return;
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (_socket is { } socket)
        {
            await SendCloseAsync(socket).ConfigureAwait(false);
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

    /// <summary>Closes the client (see <see cref="CloseAsync"/>) and releases its resources.</summary>
    /// <returns>A task that completes when the client is disposed.</returns>
    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
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

    /// <summary>Writes <paramref name="data"/> straight into the frame.</summary>
    private static Action<Utf8JsonWriter> JsonData(JsonElement data)
    {
        if (data.ValueKind == JsonValueKind.Undefined)
        {
            throw new ArgumentException("The data is an undefined JsonElement.", nameof(data));
        }

        return data.WriteTo;
    }

    private static bool IsRetryable(RelayRealtimeException ex) => ex switch
    {
        { ErrorCode: RelayErrorCodes.RoomFull or RelayErrorCodes.RoomLocked or RelayErrorCodes.RateLimited } => true,
        { ErrorCode: not null } => false,
        { HttpStatusCode: 400 or 401 or 403 or 404 } => false,
        _ => true,
    };

    private async Task<(ClientWebSocket Socket, Task<LoopEnd> Loop, ConnectedMessage Connected)> OpenAndJoinAsync(JoinTarget target, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        attempt.CancelAfter(_options.ConnectTimeout);
        var socket = CreateSocket();
        try
        {
            await socket.ConnectAsync(_endpoint, attempt.Token).ConfigureAwait(false);
        }
        catch (WebSocketException ex)
        {
            var status = (int)socket.HttpStatusCode;
            socket.Dispose();
            throw new RelayRealtimeException($"Could not open a WebSocket to {_endpoint}: {ex.Message}", ex) { HttpStatusCode = status == 0 ? null : status };
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && !_lifetime.IsCancellationRequested)
        {
            socket.Dispose();
            throw new RelayRealtimeException($"Opening a WebSocket to {_endpoint} timed out after {_options.ConnectTimeout}.", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _kicked = null;
        _roomClosed = null;
        _socket = socket;
        var loop = ReceiveLoopAsync(socket);
        try
        {
            var reply = await RequestAsync("connect", target.Write, attempt.Token).ConfigureAwait(false);
            return reply is ConnectedMessage connected ? (socket, loop, connected) : throw new RelayRealtimeException((ErrorMessage)reply);
        }
        catch (Exception ex)
        {
            socket.Abort();
            await loop.ConfigureAwait(false);
            _socket = null;
            socket.Dispose();
            FailPending();
            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested && !_lifetime.IsCancellationRequested)
            {
                throw new RelayRealtimeException($"Joining room '{target.RoomId}' timed out after {_options.ConnectTimeout}.", ex);
            }

            throw;
        }
    }

    private ClientWebSocket CreateSocket()
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.KeepAliveInterval = _options.KeepAliveInterval;
        if (_options.KeepAliveInterval > TimeSpan.Zero)
        {
            socket.Options.KeepAliveTimeout = _options.KeepAliveTimeout;
        }

        _options.ConfigureWebSocket?.Invoke(socket.Options);
        return socket;
    }

    /// <summary>Waits for the end of each connection, then closes for good or reconnects.</summary>
    private async Task SuperviseAsync(ClientWebSocket socket, Task<LoopEnd> loop)
    {
        while (true)
        {
            var end = await loop.ConfigureAwait(false);
            FailPending();
            _socket = null;
            socket.Dispose();
            var final = Classify(end);
            if (final is { } reason)
            {
                Finish(reason, end, end.Error);
                return;
            }

            var previousClientId = _view.ClientId;
            _state = RelayConnectionState.Reconnecting;
            _view = _view.Vacated();
            var lastError = end.Error;
            var attempt = 0;
            while (true)
            {
                attempt++;
                if (_options.Reconnect.MaxAttempts is { } max && attempt > max)
                {
                    Finish(RelayCloseReason.ReconnectFailed, end, lastError);
                    return;
                }

                var delay = _options.Reconnect.GetDelay(attempt);
                Raise(Reconnecting, new RelayReconnectingEventArgs
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
                    (socket, loop, var connected) = await OpenAndJoinAsync(_target, CancellationToken.None).ConfigureAwait(false);
                    MoveState(RelayConnectionState.Reconnecting, RelayConnectionState.Connected);

                    Raise(Reconnected, new RelayReconnectedEventArgs { Connected = connected, PreviousClientId = previousClientId, Attempts = attempt });
                    if (_closeRequested)
                    {
                        await SendCloseAsync(socket).ConfigureAwait(false);
                    }

                    break;
                }
                catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
                {
                    Finish(RelayCloseReason.ClosedByClient, end, null);
                    return;
                }
                catch (RelayRealtimeException ex) when (IsRetryable(ex))
                {
                    lastError = ex;
                }
                catch (RelayRealtimeException ex)
                {
                    Finish(RelayCloseReason.ReconnectFailed, end, ex);
                    return;
                }
            }
        }
    }

    /// <summary>Null when the loss calls for a reconnect; otherwise why the client closes for good.</summary>
    private RelayCloseReason? Classify(LoopEnd end)
    {
        if (_closeRequested)
        {
            return RelayCloseReason.ClosedByClient;
        }

        if (_kicked is not null || end.CloseStatus == RelayCloseCodes.Kicked)
        {
            return RelayCloseReason.Kicked;
        }

        if (_roomClosed is not null || end.CloseStatus == RelayCloseCodes.RoomClosed)
        {
            return RelayCloseReason.RoomClosed;
        }

        if (end.CloseStatus is { } code && !ReconnectableCloseCodes.Contains(code))
        {
            return RelayCloseReason.ClosedByServer;
        }

        if (!_options.Reconnect.Enabled || _state == RelayConnectionState.Left)
        {
            return RelayCloseReason.ConnectionLost;
        }

        return null;
    }

    private void Finish(RelayCloseReason reason, LoopEnd? end, Exception? error)
    {
        lock (_gate)
        {
            if (_state == RelayConnectionState.Closed)
            {
                return;
            }

            _state = RelayConnectionState.Closed;
        }

        _view = _view.Vacated();
        _stream?.Writer.TryComplete();
        var args = new RelayClosedEventArgs
        {
            Reason = reason,
            CloseStatus = end?.CloseStatus,
            CloseDescription = end?.CloseDescription,
            Kicked = _kicked,
            RoomClosed = _roomClosed,
            Exception = error,
        };
        Raise(Closed, args);
        _completion.TrySetResult(args);
    }

    private async Task<ServerMessage> RequestAsync(string type, Action<Utf8JsonWriter>? fields, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextRef);
        var reply = new TaskCompletionSource<ServerMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        try
        {
            await SendTextAsync(ClientFrames.Message(type, new MessageRef(null, id), fields), cancellationToken).ConfigureAwait(false);
            return await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private void FailPending()
    {
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var reply))
            {
                reply.TrySetException(new RelayRealtimeException("The connection closed before the server replied."));
            }
        }
    }

    private Task SendDataAsync(string type, MessageRef reference, IEnumerable<int>? to, Action<Utf8JsonWriter> writeData, CancellationToken cancellationToken) =>
        SendTextAsync(ClientFrames.DataMessage(type, reference, to, writeData), cancellationToken);

    /// <summary>Sends a data message whose <c>data</c> is <paramref name="utf8Json"/>, valid JSON written as-is.</summary>
    private Task SendDataAsync(string type, MessageRef reference, IEnumerable<int>? to, ReadOnlyMemory<byte> utf8Json, CancellationToken cancellationToken) =>
        SendTextAsync(ClientFrames.DataMessage(type, reference, to, ClientFrames.RawValue(utf8Json), utf8Json.Length + 64), cancellationToken);

    private Task SendTextAsync(byte[] frame, CancellationToken cancellationToken) =>
        SendFrameAsync(frame, WebSocketMessageType.Text, cancellationToken);

    private async Task SendFrameAsync(byte[] frame, WebSocketMessageType type, CancellationToken cancellationToken)
    {
        var socket = _socket;
        if (socket is null || socket.State != WebSocketState.Open)
        {
            throw new RelayRealtimeException($"The connection is not open (state {_state}).");
        }

        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(frame, type, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
        {
            throw new RelayRealtimeException($"The connection closed while sending: {ex.Message}", ex);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Starts the close handshake (close 1000) on <paramref name="socket"/>, or aborts it if that fails.</summary>
    private Task SendCloseAsync(ClientWebSocket socket) =>
        CloseOutputAsync(socket, WebSocketCloseStatus.NormalClosure, "closed by client");

    /// <summary>Completes the close handshake the server started, echoing its code.</summary>
    private Task AnswerCloseAsync(ClientWebSocket socket) =>
        socket.State == WebSocketState.CloseReceived
            ? CloseOutputAsync(socket, socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, socket.CloseStatusDescription)
            : Task.CompletedTask;

    /// <summary>Sends a close frame, in turn with other sends and within <see cref="RelayRealtimeOptions.CloseTimeout"/>, or aborts the socket if that fails.</summary>
    private async Task CloseOutputAsync(ClientWebSocket socket, WebSocketCloseStatus status, string? description)
    {
        using var timeout = new CancellationTokenSource(_options.CloseTimeout);
        try
        {
            await _sendLock.WaitAsync(timeout.Token).ConfigureAwait(false);
            try
            {
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await socket.CloseOutputAsync(status, description, timeout.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            socket.Abort();
        }
    }

    /// <summary>Reads frames until the connection ends, dispatching each message; returns how it ended.</summary>
    private async Task<LoopEnd> ReceiveLoopAsync(ClientWebSocket socket)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var count = 0;
        try
        {
            while (true)
            {
                var window = Math.Min(buffer.Length, _options.MaxReceiveMessageBytes);
                if (count == window)
                {
                    if (window == _options.MaxReceiveMessageBytes)
                    {
                        socket.Abort();
                        return new LoopEnd(null, null, new RelayRealtimeException($"The server sent a message larger than {_options.MaxReceiveMessageBytes} bytes."));
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _options.MaxReceiveMessageBytes));
                    buffer.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                    continue;
                }

                ValueWebSocketReceiveResult result;
                try
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(count, window - count), CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
                {
                    return new LoopEnd(null, null, ex);
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await AnswerCloseAsync(socket).ConfigureAwait(false);
                    return new LoopEnd((int?)socket.CloseStatus, socket.CloseStatusDescription, null);
                }

                count += result.Count;
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var frame = buffer.AsSpan(0, count).ToArray();
                count = 0;
                var message = result.MessageType == WebSocketMessageType.Binary
                    ? ServerMessageParser.ParseBinary(frame)
                    : ServerMessageParser.ParseText(frame);
                await DispatchAsync(message).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask DispatchAsync(ServerMessage message)
    {
        Apply(message);
        Raise(MessageReceived, message);
        switch (message)
        {
            case DataMessage data: Raise(DataReceived, data); break;
            case BinaryMessage binary: Raise(BinaryReceived, binary); break;
            case ConnectedMessage connected: Raise(Connected, connected); break;
            case ClientJoinedMessage joined: Raise(ClientJoined, joined); break;
            case ClientLeftMessage left: Raise(ClientLeft, left); break;
            case HostChangedMessage host: Raise(HostChanged, host); break;
            case KickedMessage kicked: Raise(Kicked, kicked); break;
            case RoomClosedMessage closed: Raise(RoomClosed, closed); break;
            case LeftMessage left: Raise(Left, left); break;
            case PongMessage pong: Raise(Pong, pong); break;
            case ErrorMessage error: Raise(ErrorReceived, error); break;
        }

        // After the events, so a request (connect, leave, ping) completes once its reply's handlers have run.
        if (message.OwnRef is { } id && _pending.TryRemove(id, out var reply))
        {
            reply.TrySetResult(message);
        }

        if (_stream is not null && !_stream.Writer.TryWrite(message))
        {
            try
            {
                await _stream.Writer.WriteAsync(message, _lifetime.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
            {
                // Closing: the reader has stopped, or the client is shutting down.
            }
        }
    }

    /// <summary>Keeps the room view (<see cref="ClientId"/>, <see cref="HostId"/>, <see cref="Members"/>) in step with the server.</summary>
    private void Apply(ServerMessage message)
    {
        var view = _view;
        switch (message)
        {
            case ConnectedMessage c:
                _view = new RoomView(c.RoomId, c.ClientId, c.HostId, c.Clients);
                break;
            case ClientJoinedMessage j:
                _view = view with { Members = [.. view.Members.Where(m => m.ClientId != j.ClientId), new RoomMember(j.ClientId, j.Name, false)] };
                break;
            case ClientLeftMessage l:
                _view = view with { Members = [.. view.Members.Where(m => m.ClientId != l.ClientId)] };
                break;
            case HostChangedMessage h:
                _view = view with { HostId = h.HostId, Members = [.. view.Members.Select(m => m with { IsHost = m.ClientId == h.HostId })] };
                break;
            case LeftMessage:
                _view = view.Vacated();
                MoveState(RelayConnectionState.Connected, RelayConnectionState.Left);
                break;
            case KickedMessage k:
                _kicked = k;
                break;
            case RoomClosedMessage r:
                _roomClosed = r;
                break;
        }
    }

    /// <summary>Moves the state from <paramref name="from"/> to <paramref name="to"/>, unless it changed meanwhile (e.g. to closed).</summary>
    private void MoveState(RelayConnectionState from, RelayConnectionState to)
    {
        lock (_gate)
        {
            if (_state == from)
            {
                _state = to;
            }
        }
    }

    private void Raise<T>(EventHandler<T>? handler, T args)
    {
        if (handler is null)
        {
            return;
        }

        try
        {
            handler(this, args);
        }
        catch (Exception ex)
        {
            try
            {
                EventHandlerFailed?.Invoke(this, ex);
            }
            catch (Exception)
            {
                // A failing failure handler has nowhere left to report to.
            }
        }
    }

    private sealed record JoinTarget(string RoomId, string Secret, string? Name, string? Token = null)
    {
        public void Write(Utf8JsonWriter writer)
        {
            if (Token is not null)
            {
                writer.WriteString("token"u8, Token);
            }
            else
            {
                writer.WriteString("roomId"u8, RoomId);
                writer.WriteString("secret"u8, Secret);
            }

            if (Name is not null)
            {
                writer.WriteString("name"u8, Name);
            }
        }
    }

    private sealed record RoomView(string? RoomId, int? ClientId, int? HostId, IReadOnlyList<RoomMember> Members)
    {
        public static readonly RoomView Empty = new(null, null, null, []);

        /// <summary>The view once out of the room: only <see cref="RoomId"/> is kept.</summary>
        public RoomView Vacated() => this with { ClientId = null, HostId = null, Members = [] };
    }

    private sealed record LoopEnd(int? CloseStatus, string? CloseDescription, Exception? Error);
}
