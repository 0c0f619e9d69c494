using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>
/// A logging provider that keeps every entry the server writes, for tests of what an operator would read in
/// the log. Add it with <c>builder.Logging.AddProvider(capture)</c> through the <c>RelayServer.StartAsync</c> overload that takes a builder action.
/// </summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new LogEntry(category, logLevel, formatter(state, exception), exception));
    }
}

/// <summary>One log entry: category, level, the formatted message and the exception passed with it, if any.</summary>
public sealed record LogEntry(string Category, LogLevel Level, string Message, Exception? Exception);
