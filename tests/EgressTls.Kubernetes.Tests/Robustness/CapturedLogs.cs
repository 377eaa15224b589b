using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EgressTls.Kubernetes.Tests.Robustness;

/// <summary>Every log line of the Kubernetes layer, formatted with its exception, for scanning.</summary>
internal sealed class CapturedLogs : ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<string> lines = new();

    public IReadOnlyList<string> Lines => [.. lines];

    public ILoggerFactory Factory() => LoggerFactory.Create(b => b.AddProvider(this).SetMinimumLevel(LogLevel.Trace));

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        lines.Enqueue($"{logLevel}: {formatter(state, exception)} {exception}");

    public void Dispose()
    {
    }
}
