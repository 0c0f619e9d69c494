namespace Relay.Api.Realtime;

/// <summary>
/// Reports the faults nobody foresaw on a connection (an exception from handling one client message, from its
/// writer loop or from leaving its room) as one log line each, with the exception's type and message but no
/// stack trace, and at most one line per <see cref="ReportInterval"/> for the whole server: a fault that any
/// client can trigger with every message must not flood the log. Each line counts the failures left out since
/// the previous one.
/// </summary>
internal sealed partial class UnexpectedFailureLog(TimeProvider timeProvider, ILogger<WebSocketHandler> logger)
{
    public static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private long _lastReport;
    private bool _reported;
    private int _leftOut;

    /// <summary>Reports <paramref name="exception"/>, raised on connection <paramref name="connectionId"/> while <paramref name="activity"/>.</summary>
    public void Report(long connectionId, string activity, Exception exception)
    {
        int leftOut;
        lock (_gate)
        {
            var now = timeProvider.GetTimestamp();
            if (_reported && timeProvider.GetElapsedTime(_lastReport, now) < ReportInterval)
            {
                _leftOut++;
                return;
            }

            _reported = true;
            _lastReport = now;
            leftOut = _leftOut;
            _leftOut = 0;
        }

        LogFailure(logger, connectionId, activity, exception.GetType().Name, OneLine(exception.Message), leftOut);
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    [LoggerMessage(Level = LogLevel.Error, Message = "Connection {ConnectionId} failed while {Activity} ({ExceptionType}: {ExceptionMessage}) and is closed; {LeftOut} more such failures since the last report were not logged")]
    private static partial void LogFailure(ILogger logger, long connectionId, string activity, string exceptionType, string exceptionMessage, int leftOut);
}
