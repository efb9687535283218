using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace RegistrationPortal.IntegrationTests.Infrastructure;

/// <summary>
/// The host's log entries at Error and above, as an operator's alerting would see them (or from a lower
/// <paramref name="minimum"/>, for a category the host's settings let through at that level).
/// </summary>
public sealed class ErrorLog(LogLevel minimum = LogLevel.Error) : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, minimum, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, LogLevel minimum, ConcurrentQueue<string> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                entries.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception?.GetType().Name}");
            }
        }
    }
}
