using EgressTls.Webhook.Serving;
using Serilog.Core;

namespace EgressTls.Webhook.Admission;

/// <summary>Where <see cref="DecisionLine"/>s go: standard output's writer, and any other Serilog sink as the equivalent event.</summary>
/// <param name="console">The standard output writer, or <c>null</c>.</param>
/// <param name="other">Another sink that receives the line as a Serilog event (tests read decisions from it), or <c>null</c>.</param>
/// <param name="enabled">Whether Information lines are logged at all (the configured level).</param>
internal sealed class DecisionLog(BufferedConsoleSink? console, ILogEventSink? other, bool enabled)
{
    /// <summary>Whether a decision line is written; when not, callers skip making one.</summary>
    public bool IsEnabled => enabled;

    public void Write(DecisionLine line)
    {
        if (!enabled)
        {
            return;
        }

        console?.Emit(line);
        other?.Emit(line.ToLogEvent());
    }
}
