using System.Text;
using EgressTls.Webhook.Serving;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Parsing;

namespace EgressTls.Webhook.Tests;

/// <summary>The decision-log sink: request threads only enqueue, one writer formats; no line is ever lost.</summary>
public class BufferedConsoleSinkTests
{
    private static readonly MessageTemplate Template = new MessageTemplateParser().Parse("line {N}");

    [Fact]
    public void Every_line_from_many_threads_is_written_once_in_each_threads_order_even_past_the_queue_capacity()
    {
        var output = new SlowWriter();
        const int threads = 4;
        const int perThread = 6_000; // 24,000 lines: more than the queue holds, so writers must wait, not drop

        using (var sink = new BufferedConsoleSink(new LineFormatter(), output))
        {
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                for (var i = 0; i < perThread; i++)
                {
                    sink.Emit(Event($"{t}:{i}"));
                }
            });
        }

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(threads * perThread);
        foreach (var group in lines.Select(l => l.Split(':')).GroupBy(p => p[0]))
        {
            group.Select(p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)).Should().Equal(Enumerable.Range(0, perThread));
        }

        output.Flushes.Should().BeGreaterThan(0).And.BeLessThan(threads * perThread, "lines are flushed in batches");
    }

    [Fact]
    public void A_line_emitted_alone_is_flushed_without_waiting_for_more()
    {
        var output = new SlowWriter();
        using var sink = new BufferedConsoleSink(new LineFormatter(), output);

        sink.Emit(Event("only"));

        SpinWait.SpinUntil(() => output.Flushes > 0 && output.ToString().Contains("only", StringComparison.Ordinal), TimeSpan.FromSeconds(10))
            .Should().BeTrue("an idle writer writes a lone line at once");
    }

    [Fact]
    public void Lines_emitted_a_millisecond_apart_share_a_flush_instead_of_one_each()
    {
        var output = new SlowWriter(sleep: false);
        const int lines = 5;
        using (var sink = new BufferedConsoleSink(new LineFormatter(), output))
        {
            // A first line, flushed on its own, so the writer loop is running (and compiled) before we count.
            sink.Emit(Event("warm"));
            SpinWait.SpinUntil(() => output.Flushes > 0 && output.ToString().Contains("warm", StringComparison.Ordinal), TimeSpan.FromSeconds(10))
                .Should().BeTrue();
            var before = output.Flushes;

            for (var i = 0; i < lines; i++)
            {
                sink.Emit(Event($"0:{i}"));
                Thread.Sleep(1); // well inside the linger: the writer must not flush between these
            }

            SpinWait.SpinUntil(() => output.ToString().Contains($"0:{lines - 1}", StringComparison.Ordinal), TimeSpan.FromSeconds(10))
                .Should().BeTrue();
            (output.Flushes - before).Should().BeLessThan(lines, "a batch lingers {0} for more lines before it is flushed", BufferedConsoleSink.Linger);
        }
    }

    private static LogEvent Event(string n) =>
        new(DateTimeOffset.UnixEpoch, LogEventLevel.Information, null, Template, [new LogEventProperty("N", new ScalarValue(n))]);

    private sealed class LineFormatter : ITextFormatter
    {
        public void Format(LogEvent logEvent, TextWriter output)
        {
            output.Write(((ScalarValue)logEvent.Properties["N"]).Value);
            output.Write('\n');
        }
    }

    // A writer slower than the producers (every flush sleeps), so the queue fills up.
    private sealed class SlowWriter(bool sleep = true) : StringWriter
    {
        private int flushes;

        public int Flushes => Volatile.Read(ref flushes);

        public override Encoding Encoding => Encoding.UTF8;

        // The sink writes under a lock on its output; reading under the same lock sees whole lines.
        public override string ToString()
        {
            lock (this)
            {
                return base.ToString();
            }
        }

        public override void Flush()
        {
            if (sleep)
            {
                Thread.Sleep(1);
            }

            Interlocked.Increment(ref flushes);
            base.Flush();
        }
    }
}
