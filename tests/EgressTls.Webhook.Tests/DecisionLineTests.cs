using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EgressTls.Webhook.Admission;
using Serilog.Formatting.Compact;

namespace EgressTls.Webhook.Tests;

/// <summary>The decision line is written by hand; it must stay what Serilog's compact JSON formatter writes for the same event.</summary>
public class DecisionLineTests
{
    // Values a request can carry into the line: escapes JSON needs, other control characters, non-ASCII, long text.
    private static readonly string[] Texts =
    [
        "", "web", "team-a", "uid-1", "a\"b", "back\\slash", "new\nline", "cr\rlf", "tab\t", "form\ffeed", "bell\a", "nul\0",
        "\u001f", "\u007f", "caf\u00e9", "\u2028sep", "\ud83d\ude00", "{Name}", "x:y/z", new string('n', 300), "</script>",
    ];

    private static readonly double[] Durations = [0, 0.1, 1.5, 12.3, 134.9, 1e-7, 123456789.1, 0.30000000000000004, double.NaN, double.PositiveInfinity];

    [Fact]
    public void Every_line_is_character_for_character_what_the_compact_json_formatter_writes_for_its_event()
    {
        var random = new Random(8);
        var formatter = new RenderedCompactJsonFormatter();
        for (var i = 0; i < 3_000; i++)
        {
            string Text() => Texts[random.Next(Texts.Length)];
            var traced = random.Next(3) > 0;
            var line = new DecisionLine(
                new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.FromHours(random.Next(-12, 13))).AddTicks(random.NextInt64(0, TimeSpan.TicksPerDay * 365)),
                Text(), Text(), Text(), random.Next(2) == 0 ? "" : Text(), Text(), Text(), random.Next(2) == 0, Text(), Text(),
                random.Next(-1, 500), random.Next(0, 50), Durations[random.Next(Durations.Length)],
                traced ? ActivityTraceId.CreateRandom() : default, traced ? ActivitySpanId.CreateRandom() : default, Text(), Text(), Text());

            var ours = new StringWriter(CultureInfo.InvariantCulture);
            line.WriteTo(ours);
            var serilog = new StringWriter(CultureInfo.InvariantCulture);
            formatter.Format(line.ToLogEvent(), serilog);

            ours.ToString().Should().Be(serilog.ToString(), "line {0} must match the formatter", i);
        }
    }

    [Fact]
    public void A_line_is_one_json_object_with_the_documented_members_in_order()
    {
        var trace = ActivityTraceId.CreateRandom();
        var span = ActivitySpanId.CreateRandom();
        var line = new DecisionLine(
            DateTimeOffset.Parse("2026-11-23T02:36:02.731649Z", CultureInfo.InvariantCulture), "u-1", "Pod", "team-a", "", "web-", "CREATE", false,
            "Mutated", "mutated", 15, 4, 134.9, trace, span, "0HN:00000001", "/mutate", "0HN");
        var output = new StringWriter(CultureInfo.InvariantCulture);
        line.WriteTo(output);

        var text = output.ToString();
        text.Should().EndWith(Environment.NewLine);
        text.TrimEnd().Should().NotContain("\n", "a line, whatever the values hold");
        using var json = JsonDocument.Parse(text);
        json.RootElement.EnumerateObject().Select(p => p.Name).Should().Equal(
            "@t", "@m", "@i", "@tr", "@sp", "Decision", "Reason", "Kind", "Namespace", "Name", "Operation", "Uid", "DryRun", "PatchOps",
            "Objects", "ElapsedMs", "SourceContext", "GenerateName", "RequestId", "RequestPath", "ConnectionId");
        json.RootElement.GetProperty("@m").GetString().Should().Be(
            "Admission Mutated (mutated) for Pod team-a/web-* CREATE uid u-1 dryRun=False: 15 patch operations, 4 objects, 134.9 ms");
        json.RootElement.GetProperty("@t").GetString().Should().Be("2026-11-23T02:36:02.7316490Z");
        json.RootElement.GetProperty("@tr").GetString().Should().Be(trace.ToHexString());
        json.RootElement.GetProperty("@sp").GetString().Should().Be(span.ToHexString());
        json.RootElement.GetProperty("Name").GetString().Should().Be("web-*", "a name yet to be generated is logged as its generateName and *");
        json.RootElement.GetProperty("ElapsedMs").GetDouble().Should().Be(134.9);
        json.RootElement.GetProperty("DryRun").GetBoolean().Should().BeFalse();
    }

    [Fact]
    public void A_line_without_a_trace_has_no_trace_members()
    {
        var line = new DecisionLine(
            DateTimeOffset.UnixEpoch, "u", "Pod", "ns", "p", "", "CREATE", true, "Skipped", "disabled", 0, 0, 0.1,
            default, default, "r", "/mutate", "c");
        var output = new StringWriter(CultureInfo.InvariantCulture);
        line.WriteTo(output);

        using var json = JsonDocument.Parse(output.ToString());
        json.RootElement.TryGetProperty("@tr", out _).Should().BeFalse();
        json.RootElement.TryGetProperty("@sp", out _).Should().BeFalse();
        json.RootElement.GetProperty("Name").GetString().Should().Be("p");
    }

    [Fact]
    public void Lines_reach_standard_output_through_the_console_writer_between_other_events()
    {
        var output = new StringWriter(CultureInfo.InvariantCulture);
        var formatter = new RenderedCompactJsonFormatter();
        var before = new Serilog.Events.LogEvent(DateTimeOffset.UnixEpoch, Serilog.Events.LogEventLevel.Warning, null,
            new Serilog.Parsing.MessageTemplateParser().Parse("before"), []);
        var after = new Serilog.Events.LogEvent(DateTimeOffset.UnixEpoch, Serilog.Events.LogEventLevel.Information, null,
            new Serilog.Parsing.MessageTemplateParser().Parse("after"), []);
        var line = new DecisionLine(
            DateTimeOffset.UnixEpoch, "u-9", "Pod", "ns", "p", "", "CREATE", false, "Mutated", "mutated", 3, 1, 2.5,
            default, default, "r", "/mutate", "c");
        using (var sink = new EgressTls.Webhook.Serving.BufferedConsoleSink(formatter, output))
        {
            sink.Emit(before);
            new DecisionLog(sink, null, enabled: true).Write(line);
            sink.Emit(after);
        }

        var expected = new StringWriter(CultureInfo.InvariantCulture);
        formatter.Format(before, expected);
        line.WriteTo(expected);
        formatter.Format(after, expected);
        output.ToString().Should().Be(expected.ToString(), "the decision line takes its turn among the other events, whole");
    }

    [Fact]
    public void A_disabled_log_writes_nothing_anywhere()
    {
        var output = new StringWriter(CultureInfo.InvariantCulture);
        var other = new Support.LogCollector();
        using (var sink = new EgressTls.Webhook.Serving.BufferedConsoleSink(new RenderedCompactJsonFormatter(), output))
        {
            var log = new DecisionLog(sink, other, enabled: false);
            log.IsEnabled.Should().BeFalse();
            log.Write(new DecisionLine(
                DateTimeOffset.UnixEpoch, "u", "Pod", "ns", "p", "", "CREATE", false, "Mutated", "mutated", 3, 1, 2.5,
                default, default, "r", "/mutate", "c"));
        }

        output.ToString().Should().BeEmpty();
        other.Events.Should().BeEmpty();
    }
}
