using System.Diagnostics;
using System.Globalization;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Serilog.Parsing;

namespace EgressTls.Webhook.Admission;

/// <summary>
/// The one Information line per admission decision (STYLE.md): identifiers and the outcome, never the object.
/// It is on the path of every admission, so it is not a Microsoft.Extensions.Logging call: measured under load,
/// the logging call (state, scope, property binding) and Serilog's rendering of the event cost `serve` about
/// as much CPU as rendering a pod, and a third of its allocations. <see cref="WriteTo"/> writes the line
/// directly, character for character what Serilog's <c>RenderedCompactJsonFormatter</c> writes for
/// <see cref="ToLogEvent"/> (the event the logging call made; a test holds the two equal), so the output keeps
/// its shape: <c>@t</c>, <c>@m</c>, <c>@i</c>, <c>@tr</c>/<c>@sp</c> when the request has a trace, the
/// template's properties, then <c>SourceContext</c>, <c>GenerateName</c>, <c>RequestId</c>, <c>RequestPath</c>
/// and <c>ConnectionId</c>.
/// </summary>
/// <param name="timestamp">When the decision was made.</param>
/// <param name="uid">request.uid.</param>
/// <param name="kind">request.kind.kind.</param>
/// <param name="namespace">The object's namespace.</param>
/// <param name="name">The object's name, empty when the API server has yet to generate it.</param>
/// <param name="generateName">metadata.generateName, or empty.</param>
/// <param name="operation">request.operation.</param>
/// <param name="dryRun">request.dryRun.</param>
/// <param name="decision">The outcome (Mutated, Skipped, Rejected, Failed).</param>
/// <param name="reason">Why, as a short slug.</param>
/// <param name="patchOps">Operations in the patch.</param>
/// <param name="objects">Generated objects the decision needed.</param>
/// <param name="elapsedMs">Time from request to answer, in milliseconds.</param>
/// <param name="traceId">The request's trace, when it has one.</param>
/// <param name="spanId">The request's span, when it has one.</param>
/// <param name="requestId">The server's request identifier.</param>
/// <param name="requestPath">The request path.</param>
/// <param name="connectionId">The server's connection identifier.</param>
internal sealed class DecisionLine(
    DateTimeOffset timestamp, string uid, string kind, string @namespace, string name, string generateName, string operation,
    bool dryRun, string decision, string reason, int patchOps, int objects, double elapsedMs,
    ActivityTraceId traceId, ActivitySpanId spanId, string requestId, string requestPath, string connectionId)
{
    /// <summary>The message template (Serilog's <c>:l</c> writes names without quotes in the rendered message).</summary>
    public const string TemplateText =
        "Admission {Decision:l} ({Reason:l}) for {Kind:l} {Namespace:l}/{Name:l} {Operation:l} uid {Uid:l} dryRun={DryRun}: "
        + "{PatchOps} patch operations, {Objects} objects, {ElapsedMs} ms";

    /// <summary>The logger name the line carries as <c>SourceContext</c>.</summary>
    public const string SourceContext = "EgressTls.Webhook.Admission.MutateEndpoint";

    private static readonly MessageTemplate Template = new MessageTemplateParser().Parse(TemplateText);

    // "@i": RenderedCompactJsonFormatter hashes the template text for every event; it is a constant here.
    private static readonly string EventId = EventIdHash.Compute(TemplateText).ToString("x8", CultureInfo.InvariantCulture);

    public DateTimeOffset Timestamp { get; } = timestamp;

    public string Uid { get; } = uid;

    public string Kind { get; } = kind;

    public string Namespace { get; } = @namespace;

    /// <summary>The object's name as logged: its name, or its generateName followed by <c>*</c>.</summary>
    public string Name { get; } = name.Length > 0 ? name : generateName + "*";

    public string GenerateName { get; } = generateName;

    public string Operation { get; } = operation;

    public bool DryRun { get; } = dryRun;

    public string Decision { get; } = decision;

    public string Reason { get; } = reason;

    public int PatchOps { get; } = patchOps;

    public int Objects { get; } = objects;

    public double ElapsedMs { get; } = elapsedMs;

    public ActivityTraceId TraceId { get; } = traceId;

    public ActivitySpanId SpanId { get; } = spanId;

    public string RequestId { get; } = requestId;

    public string RequestPath { get; } = requestPath;

    public string ConnectionId { get; } = connectionId;

    /// <summary>The same line as a Serilog event: what other sinks receive, and what <see cref="WriteTo"/> is checked against.</summary>
    public LogEvent ToLogEvent() => new(
        Timestamp, LogEventLevel.Information, null, Template,
        [
            Property("Decision", Decision), Property("Reason", Reason), Property("Kind", Kind), Property("Namespace", Namespace),
            Property("Name", Name), Property("Operation", Operation), Property("Uid", Uid), Property("DryRun", DryRun),
            Property("PatchOps", PatchOps), Property("Objects", Objects), Property("ElapsedMs", ElapsedMs),
            Property("SourceContext", SourceContext), Property("GenerateName", GenerateName), Property("RequestId", RequestId),
            Property("RequestPath", RequestPath), Property("ConnectionId", ConnectionId),
        ],
        TraceId, SpanId);

    /// <summary>Writes the line and its newline as compact JSON.</summary>
    public void WriteTo(TextWriter output)
    {
        Span<char> scratch = stackalloc char[64];
        output.Write("{\"@t\":\"");
        Write(output, scratch, Timestamp.UtcDateTime, "O");
        output.Write("\",\"@m\":\"Admission ");
        Escaped(output, Decision);
        output.Write(" (");
        Escaped(output, Reason);
        output.Write(") for ");
        Escaped(output, Kind);
        output.Write(' ');
        Escaped(output, Namespace);
        output.Write('/');
        Escaped(output, Name);
        output.Write(' ');
        Escaped(output, Operation);
        output.Write(" uid ");
        Escaped(output, Uid);
        output.Write(" dryRun=");
        output.Write(DryRun ? "True" : "False");
        output.Write(": ");
        Write(output, scratch, PatchOps, null);
        output.Write(" patch operations, ");
        Write(output, scratch, Objects, null);
        output.Write(" objects, ");
        Write(output, scratch, ElapsedMs, "R");
        output.Write(" ms\",\"@i\":\"");
        output.Write(EventId);
        output.Write('"');
        Span<byte> id = stackalloc byte[16];
        if (TraceId != default)
        {
            output.Write(",\"@tr\":\"");
            TraceId.CopyTo(id);
            Hex(output, scratch, id);
            output.Write('"');
        }

        if (SpanId != default)
        {
            output.Write(",\"@sp\":\"");
            SpanId.CopyTo(id[..8]);
            Hex(output, scratch, id[..8]);
            output.Write('"');
        }

        Member(output, "Decision", Decision);
        Member(output, "Reason", Reason);
        Member(output, "Kind", Kind);
        Member(output, "Namespace", Namespace);
        Member(output, "Name", Name);
        Member(output, "Operation", Operation);
        Member(output, "Uid", Uid);
        output.Write(DryRun ? ",\"DryRun\":true" : ",\"DryRun\":false");
        output.Write(",\"PatchOps\":");
        Write(output, scratch, PatchOps, null);
        output.Write(",\"Objects\":");
        Write(output, scratch, Objects, null);
        output.Write(",\"ElapsedMs\":");
        if (double.IsFinite(ElapsedMs))
        {
            Write(output, scratch, ElapsedMs, "R");
        }
        else
        {
            output.Write('"');
            Write(output, scratch, ElapsedMs, null);
            output.Write('"');
        }

        Member(output, "SourceContext", SourceContext);
        Member(output, "GenerateName", GenerateName);
        Member(output, "RequestId", RequestId);
        Member(output, "RequestPath", RequestPath);
        Member(output, "ConnectionId", ConnectionId);
        output.Write('}');
        output.WriteLine();
    }

    private static LogEventProperty Property(string name, object value) => new(name, new ScalarValue(value));

    private static void Member(TextWriter output, string name, string value)
    {
        output.Write(",\"");
        output.Write(name);
        output.Write("\":\"");
        Escaped(output, value);
        output.Write('"');
    }

    private static void Hex(TextWriter output, Span<char> scratch, ReadOnlySpan<byte> bytes)
    {
        Convert.TryToHexStringLower(bytes, scratch, out var written);
        output.Write(scratch[..written]);
    }

    private static void Write<T>(TextWriter output, Span<char> scratch, T value, string? format)
        where T : ISpanFormattable
    {
        if (value.TryFormat(scratch, out var written, format, CultureInfo.InvariantCulture))
        {
            Escaped(output, scratch[..written]);
        }
        else
        {
            Escaped(output, value.ToString(format, CultureInfo.InvariantCulture));
        }
    }

    // The escaping of Serilog's JsonValueFormatter.WriteQuotedJsonString, without the quotes: control
    // characters, backslash and double quote; everything else as is.
    private static void Escaped(TextWriter output, ReadOnlySpan<char> text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c >= ' ' && c != '\\' && c != '"')
            {
                continue;
            }

            output.Write(text[start..i]);
            start = i + 1;
            output.Write(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\f' => "\\f",
                '\t' => "\\t",
                _ => "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
            });
        }

        output.Write(text[start..]);
    }
}
