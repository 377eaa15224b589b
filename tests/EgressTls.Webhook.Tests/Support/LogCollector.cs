using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace EgressTls.Webhook.Tests.Support;

/// <summary>A Serilog sink that keeps every event for assertions.</summary>
internal sealed class LogCollector : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> events = new();

    public IReadOnlyList<LogEvent> Events => [.. events];

    public void Emit(LogEvent logEvent) => events.Enqueue(logEvent);

    public static string? Scalar(LogEvent e, string property) =>
        e.Properties.TryGetValue(property, out var value) && value is ScalarValue { Value: var v } ? v?.ToString() : null;

    /// <summary>The decision lines (one per admission) for <paramref name="uid"/>. /mutate writes the line just
    /// after the response, so a client can read the response first: this waits up to 5 s for a line.</summary>
    public IReadOnlyList<LogEvent> Decisions(string uid)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            IReadOnlyList<LogEvent> lines = [.. Events.Where(e => e.Level == LogEventLevel.Information && e.Properties.ContainsKey("Decision") && Scalar(e, "Uid") == uid)];
            if (lines.Count > 0 || waited.Elapsed > TimeSpan.FromSeconds(5))
            {
                return lines;
            }

            Thread.Sleep(10);
        }
    }
}
