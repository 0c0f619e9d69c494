using Microsoft.Extensions.Logging;
using Relay.Application.Realtime.Delivery;
using Relay.Domain.Connections;
using Relay.Domain.Frames;
using Relay.Domain.Rooms;

namespace Relay.Application.Realtime;

/// <summary>
/// One client connection as the protocol sees it: the connection that moves its bytes, the room seat it holds (at most
/// one), and the protocol's connect timer (no `connect` within `Relay:ConnectTimeoutSeconds` of opening or of a `leave`
/// closes with 4002). Messages from one connection are handled one at a time, in order.
/// </summary>
public sealed partial class ClientConnection : IDisposable
{
    private readonly TimeSpan _connectTimeout;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    /// <summary>The running connect timer, or null: made when it starts and dropped once the connection is seated.</summary>
    private ITimer? _connectTimer;
    private Session? _session;

    public ClientConnection(IConnection connection, TimeSpan connectTimeout, TimeProvider timeProvider, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(timeProvider);
        Connection = connection;
        _connectTimeout = connectTimeout;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public IConnection Connection { get; }

    public long Id => Connection.Id;

    /// <summary>
    /// The seat this connection holds, or null: none yet, it left, it was removed, or another connection took it
    /// over (a resume elsewhere).
    /// </summary>
    public Session? Session
    {
        get
        {
            var session = Volatile.Read(ref _session);
            return session is { IsMember: true } && session.Connection?.Id == Connection.Id ? session : null;
        }
    }

    /// <summary>
    /// The outcome of the last relay of this connection that the store numbers on its own time (set and read only by
    /// the connection's handlers, one message at a time): the next one is acted on after it.
    /// </summary>
    internal Task LastRelayOutcome { get; set; } = Task.CompletedTask;

    /// <summary>Queues a reply or an error to this connection; releases the caller's reference.</summary>
    public bool Reply(OutboundFrame frame) => RoomDelivery.Reply(Connection, frame);

    /// <summary>Starts (or restarts) the connect timer: at the start, and after a `leave`.</summary>
    public void StartConnectTimer()
    {
        var timer = _timeProvider.CreateTimer(static s => ((ClientConnection)s!).OnConnectTimer(), this, _connectTimeout, Timeout.InfiniteTimeSpan);
        Interlocked.Exchange(ref _connectTimer, timer)?.Dispose();
    }

    /// <summary>
    /// The connection took <paramref name="session"/>: a join or a resume was applied. The connect timer goes (a
    /// seated connection holds no timer of its own).
    /// </summary>
    internal void Seat(Session session)
    {
        Volatile.Write(ref _session, session);
        StopConnectTimer();
    }

    public void Dispose() => StopConnectTimer();

    private void StopConnectTimer() => Interlocked.Exchange(ref _connectTimer, null)?.Dispose();

    private void OnConnectTimer()
    {
        if (Session is null)
        {
            LogConnectTimeout(_logger, Id);
            Connection.Close(CloseCodes.ConnectTimeout, "connect timeout");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection {ConnectionId} sent no connect in time: closing with 4002")]
    private static partial void LogConnectTimeout(ILogger logger, long connectionId);
}
