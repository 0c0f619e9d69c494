using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Relay.Client;

/// <summary>
/// A realtime client for one Relay room over a WebSocket: joins the room, receives every server message as
/// events and, optionally, as an async stream (<see cref="ReadMessagesAsync"/>), relays JSON and binary data,
/// performs host operations, measures round-trip time, and reconnects after an abnormal loss when
/// <see cref="RelayRealtimeOptions.Reconnect"/> is enabled, resuming its seat with every event it missed
/// (<see cref="RelayRealtimeOptions.Resume"/>).
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
/// <c>ref</c> when one was given. The client uses integer refs for its own requests (connect, resume, leave, ping);
/// give string refs to your messages.
/// </para>
/// </remarks>
public sealed class RelayRealtimeClient : IAsyncDisposable
{
    private readonly ClientEvents _events;
    private readonly ConnectionLifecycle _lifecycle = new();
    private readonly RoomState _room = new();
    private readonly MessageInbox _inbox;
    private readonly ConnectionSupervisor _connection;

    /// <summary>Creates a client; call <see cref="ConnectAsync"/> to join the room.</summary>
    /// <param name="options">The server, room, secret and behaviour.</param>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    public RelayRealtimeClient(RelayRealtimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _events = new ClientEvents(this);
        var lifetime = new CancellationTokenSource();
        var resume = new ResumeState(options.Resume && options.Reconnect.Enabled);
        var pending = new PendingRequests();
        _inbox = new MessageInbox(options, resume, _room, _lifecycle, _events, pending, lifetime.Token);
        _connection = new ConnectionSupervisor(options, lifetime, _lifecycle, _room, resume, _inbox, pending, _events);
    }

    /// <summary>Every server message, text or binary, before its typed event.</summary>
    public event EventHandler<ServerMessage>? MessageReceived { add => _events.MessageReceived += value; remove => _events.MessageReceived -= value; }

    /// <summary><c>connected</c>: this client joined the room (on connect, on <see cref="JoinAsync"/>, and after a reconnect that could not resume).</summary>
    public event EventHandler<ConnectedMessage>? Connected { add => _events.Connected += value; remove => _events.Connected -= value; }

    /// <summary><c>resumed</c>: after a drop, this client is back in its seat (same client id); the events it missed follow, each raised as usual.</summary>
    public event EventHandler<ResumedMessage>? Resumed { add => _events.Resumed += value; remove => _events.Resumed -= value; }

    /// <summary><c>client_joined</c>: another client joined.</summary>
    public event EventHandler<ClientJoinedMessage>? ClientJoined { add => _events.ClientJoined += value; remove => _events.ClientJoined -= value; }

    /// <summary><c>client_left</c>: another client left.</summary>
    public event EventHandler<ClientLeftMessage>? ClientLeft { add => _events.ClientLeft += value; remove => _events.ClientLeft -= value; }

    /// <summary><c>client_away</c>: another client's connection dropped; it keeps its seat for the room's resume window.</summary>
    public event EventHandler<ClientAwayMessage>? ClientAway { add => _events.ClientAway += value; remove => _events.ClientAway -= value; }

    /// <summary><c>client_back</c>: a client that was away is back.</summary>
    public event EventHandler<ClientBackMessage>? ClientBack { add => _events.ClientBack += value; remove => _events.ClientBack -= value; }

    /// <summary><c>host_changed</c>: the room's host changed.</summary>
    public event EventHandler<HostChangedMessage>? HostChanged { add => _events.HostChanged += value; remove => _events.HostChanged -= value; }

    /// <summary><c>message</c>: JSON data from a client, or from a backend (<see cref="DataMessage.From"/> 0).</summary>
    public event EventHandler<DataMessage>? DataReceived { add => _events.DataReceived += value; remove => _events.DataReceived -= value; }

    /// <summary>A binary frame from a client.</summary>
    public event EventHandler<BinaryMessage>? BinaryReceived { add => _events.BinaryReceived += value; remove => _events.BinaryReceived -= value; }

    /// <summary><c>kicked</c>: this client was kicked; the connection closes (4001) and is not reconnected.</summary>
    public event EventHandler<KickedMessage>? Kicked { add => _events.Kicked += value; remove => _events.Kicked -= value; }

    /// <summary><c>room_closed</c>: the room closed; the connection closes (4000) and is not reconnected.</summary>
    public event EventHandler<RoomClosedMessage>? RoomClosed { add => _events.RoomClosed += value; remove => _events.RoomClosed -= value; }

    /// <summary><c>left</c>: this client left the room.</summary>
    public event EventHandler<LeftMessage>? Left { add => _events.Left += value; remove => _events.Left -= value; }

    /// <summary><c>pong</c>: the reply to a ping.</summary>
    public event EventHandler<PongMessage>? Pong { add => _events.Pong += value; remove => _events.Pong -= value; }

    /// <summary><c>error</c>: a message of this client failed (the connection stays open).</summary>
    public event EventHandler<ErrorMessage>? ErrorReceived { add => _events.ErrorReceived += value; remove => _events.ErrorReceived -= value; }

    /// <summary>The connection was lost abnormally and a reconnect attempt follows after <see cref="RelayReconnectingEventArgs.Delay"/>; raised before every attempt.</summary>
    public event EventHandler<RelayReconnectingEventArgs>? Reconnecting { add => _events.Reconnecting += value; remove => _events.Reconnecting -= value; }

    /// <summary>The client is back in the room: in its seat (<see cref="RelayReconnectedEventArgs.Resumed"/>), or joined afresh with a new client id.</summary>
    public event EventHandler<RelayReconnectedEventArgs>? Reconnected { add => _events.Reconnected += value; remove => _events.Reconnected -= value; }

    /// <summary>A reconnect could not resume the client's seat (<c>resume_failed</c>); it joins afresh with a new client id next.</summary>
    public event EventHandler<RelayResumeFailedEventArgs>? ResumeFailed { add => _events.ResumeFailed += value; remove => _events.ResumeFailed -= value; }

    /// <summary>The client closed for good (raised once); see also <see cref="Completion"/>.</summary>
    public event EventHandler<RelayClosedEventArgs>? Closed { add => _events.Closed += value; remove => _events.Closed -= value; }

    /// <summary>An event handler threw; the client keeps running.</summary>
    public event EventHandler<Exception>? EventHandlerFailed { add => _events.EventHandlerFailed += value; remove => _events.EventHandlerFailed -= value; }

    /// <summary>The client's state.</summary>
    public RelayConnectionState State => _lifecycle.State;

    /// <summary>The room this client is in (or was last in).</summary>
    public string? RoomId => _room.RoomId;

    /// <summary>This client's id in the room; null when not in a room. Kept when the client resumes, new after a fresh join.</summary>
    public int? ClientId => _room.ClientId;

    /// <summary>The room's host, or null.</summary>
    public int? HostId => _room.HostId;

    /// <summary>Whether this client is the room's host.</summary>
    public bool IsHost => _room.IsHost;

    /// <summary>The clients in the room in join order, this one included, kept up to date from the server's events (<see cref="RoomMember.Away"/> for those away).</summary>
    public IReadOnlyList<RoomMember> Members => _room.Members;

    /// <summary>Completes with the reason when the client closes for good (never faults).</summary>
    public Task<RelayClosedEventArgs> Completion => _lifecycle.Completion;

    /// <summary>Opens the WebSocket and joins the room given in the options. Call once.</summary>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The server's <c>connected</c> reply, once the <see cref="Connected"/> handlers have run.</returns>
    /// <exception cref="RelayRealtimeException">
    /// The connection could not be opened (<see cref="RelayRealtimeException.HttpStatusCode"/> for a refused upgrade),
    /// timed out, or the server refused the join (<see cref="RelayRealtimeException.ErrorCode"/>: <c>room_not_found</c>,
    /// <c>invalid_secret</c>, <c>room_full</c>, <c>room_locked</c>...). The client is then closed.
    /// </exception>
    /// <exception cref="InvalidOperationException">Already called.</exception>
    public Task<ConnectedMessage> ConnectAsync(CancellationToken cancellationToken = default) => _connection.ConnectAsync(cancellationToken);

    /// <summary>
    /// Reads every server message, in order, as an async stream. Needs <see cref="RelayRealtimeOptions.EnableMessageStream"/>.
    /// The stream ends when the client closes for good; it spans reconnects (each brings a new <see cref="ConnectedMessage"/>
    /// or a <see cref="ResumedMessage"/>). One reader at a time.
    /// </summary>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The messages.</returns>
    /// <exception cref="InvalidOperationException">The message stream is not enabled.</exception>
    public IAsyncEnumerable<ServerMessage> ReadMessagesAsync(CancellationToken cancellationToken = default) =>
        _inbox.Stream is { } stream
            ? stream.ReadAllAsync(cancellationToken)
            : throw new InvalidOperationException("Set RelayRealtimeOptions.EnableMessageStream to read messages as a stream.");

    /// <summary>Broadcasts JSON data to every other client the room's protocol allows (<c>broadcast</c>).</summary>
    /// <param name="data">Any JSON value.</param>
    /// <param name="messageRef">A string <c>ref</c> (at most 64 characters) the server echoes in an <c>error</c> this causes.</param>
    /// <param name="cancellationToken">Cancels the send (cancelling a send in progress aborts the connection).</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="RelayRealtimeException">The connection is not open.</exception>
    public Task BroadcastAsync(JsonElement data, string? messageRef = null, CancellationToken cancellationToken = default) =>
        SendDataAsync(Wire.EncodedClientTypes.Broadcast, MessageRef.FromText(messageRef), null, JsonData(data), cancellationToken);

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
        return SendDataAsync(Wire.EncodedClientTypes.Broadcast, MessageRef.FromText(messageRef), null, utf8Json, cancellationToken);
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
        return SendDataAsync(Wire.EncodedClientTypes.Broadcast, MessageRef.FromText(messageRef), null, JsonSerializer.SerializeToUtf8Bytes(data, typeInfo), cancellationToken);
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
        return SendDataAsync(Wire.EncodedClientTypes.Send, MessageRef.FromText(messageRef), to, JsonData(data), cancellationToken);
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
        return SendDataAsync(Wire.EncodedClientTypes.Send, MessageRef.FromText(messageRef), to, utf8Json, cancellationToken);
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
        return SendDataAsync(Wire.EncodedClientTypes.Send, MessageRef.FromText(messageRef), to, JsonSerializer.SerializeToUtf8Bytes(data, typeInfo), cancellationToken);
    }

    /// <summary>Broadcasts a binary payload (binary frame <c>0x00</c>). Others receive a <see cref="BinaryMessage"/>.</summary>
    /// <param name="payload">The bytes; may be empty.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="RelayRealtimeException">The connection is not open.</exception>
    public Task BroadcastBinaryAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        _connection.SendAsync(ClientFrames.BinaryBroadcastFrame(payload.Span), WebSocketMessageType.Binary, cancellationToken);

    /// <summary>Sends a binary payload to one client (binary frame <c>0x01</c>).</summary>
    /// <param name="to">The client id.</param>
    /// <param name="payload">The bytes; may be empty.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="RelayRealtimeException">The connection is not open.</exception>
    public Task SendBinaryAsync(int to, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        _connection.SendAsync(ClientFrames.BinarySendFrame(to, payload.Span), WebSocketMessageType.Binary, cancellationToken);

    /// <summary>Host only: kicks a client (<c>kick</c>); it gets <c>kicked</c> and close 4001, the others <c>client_left</c>.</summary>
    /// <param name="clientId">The client to kick (not this client).</param>
    /// <param name="reason">The reason shown to it (at most 256 characters); null for the server's default.</param>
    /// <param name="messageRef">A string <c>ref</c> the server echoes in an <c>error</c> (<c>not_host</c>, <c>unknown_client</c>).</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="RelayRealtimeException">The connection is not open.</exception>
    public Task KickAsync(int clientId, string? reason = null, string? messageRef = null, CancellationToken cancellationToken = default) =>
        SendTextAsync(ClientFrames.Message(Wire.EncodedClientTypes.Kick, MessageRef.FromText(messageRef), w =>
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
        SendTextAsync(ClientFrames.Message(Wire.EncodedClientTypes.TransferHost, MessageRef.FromText(messageRef), w => w.WriteNumber("clientId"u8, clientId)), cancellationToken);

    /// <summary>Host only: closes the room (<c>close_room</c>); every client, this one included, gets <c>room_closed</c> and close 4000.</summary>
    /// <param name="reason">Shown to clients as <see cref="RoomClosedMessage.Message"/> (at most 256 characters).</param>
    /// <param name="messageRef">A string <c>ref</c> the server echoes in an <c>error</c> (<c>not_host</c>).</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="RelayRealtimeException">The connection is not open.</exception>
    public Task CloseRoomAsync(string? reason = null, string? messageRef = null, CancellationToken cancellationToken = default) =>
        SendTextAsync(ClientFrames.Message(Wire.EncodedClientTypes.CloseRoom, MessageRef.FromText(messageRef), w =>
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
        var reply = await _connection.RequestAsync(Wire.EncodedClientTypes.Ping, null, cancellationToken).ConfigureAwait(false);
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
        var reply = await _connection.RequestAsync(Wire.EncodedClientTypes.Leave, null, cancellationToken).ConfigureAwait(false);
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
        if (State != RelayConnectionState.Left)
        {
            throw new InvalidOperationException($"JoinAsync needs a client that left its room; this client is {State}.");
        }

        return await _connection.JoinAsync(new JoinCredentials(roomId, secret, name), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes the connection deliberately (close 1000) and waits for the server's close handshake (at most
    /// <see cref="RelayRealtimeOptions.CloseTimeout"/>, then aborts). Stops any reconnection. Safe to call more than once.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the client is closed.</returns>
    public Task CloseAsync(CancellationToken cancellationToken = default) => _connection.CloseAsync(cancellationToken);

    /// <summary>Closes the client (see <see cref="CloseAsync"/>) and releases its resources.</summary>
    /// <returns>A task that completes when the client is disposed.</returns>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    /// <summary>Writes <paramref name="data"/> straight into the frame.</summary>
    private static Action<Utf8JsonWriter> JsonData(JsonElement data)
    {
        if (data.ValueKind == JsonValueKind.Undefined)
        {
            throw new ArgumentException("The data is an undefined JsonElement.", nameof(data));
        }

        return data.WriteTo;
    }

    private Task SendTextAsync(byte[] frame, CancellationToken cancellationToken) =>
        _connection.SendAsync(frame, WebSocketMessageType.Text, cancellationToken);

    private Task SendDataAsync(JsonEncodedText type, MessageRef reference, IEnumerable<int>? to, Action<Utf8JsonWriter> writeData, CancellationToken cancellationToken) =>
        SendTextAsync(ClientFrames.DataMessage(type, reference, to, writeData), cancellationToken);

    /// <summary>Sends a data message whose <c>data</c> is <paramref name="utf8Json"/>, valid JSON written as-is.</summary>
    private Task SendDataAsync(JsonEncodedText type, MessageRef reference, IEnumerable<int>? to, ReadOnlyMemory<byte> utf8Json, CancellationToken cancellationToken) =>
        SendTextAsync(ClientFrames.DataMessage(type, reference, to, ClientFrames.RawValue(utf8Json), utf8Json.Length + 64), cancellationToken);
}
