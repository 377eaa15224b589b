using System.Text;
using System.Threading.Channels;
using EgressTls.Webhook.Admission;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace EgressTls.Webhook.Serving;

/// <summary>
/// Writes log events to standard output from one background writer loop: request threads only enqueue,
/// and the writer formats what has queued up and writes it with one flush per batch instead of one write
/// system call (and one console lock) per line. The admission decision line is one per request, so this
/// is on the hot path; measured with the load benchmark, the synchronous console sink cost about a
/// third of `serve`'s CPU per memo-hit admission. Lines are never dropped: when the queue is full the
/// request thread waits, as it did with the synchronous sink. The writer lingers <see cref="Linger"/> after
/// the first line of a batch, so a busy server writes and flushes a few dozen times a second instead of once
/// per request or two (measured under load, per-batch flushes were 2.5% of `serve`'s CPU samples). A
/// line therefore reaches standard output within about that linger, and at most the lines of that window
/// are lost if the process is killed.
/// </summary>
internal sealed class BufferedConsoleSink : ILogEventSink, IDisposable
{
    private const int Capacity = 16 * 1024;

    /// <summary>How long a batch waits for more lines before it is written and flushed.</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(20);

    private readonly Channel<Line> queue = Channel.CreateBounded<Line>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly ITextFormatter formatter;
    private readonly TextWriter output;
    private readonly Task writer;

    /// <param name="formatter">How each event becomes a line.</param>
    /// <param name="output">Where lines go (standard output when <c>null</c>).</param>
    public BufferedConsoleSink(ITextFormatter formatter, TextWriter? output = null)
    {
        this.formatter = formatter;
        this.output = output ?? new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 64 * 1024) { AutoFlush = false };
        writer = Task.Run(WriteLoopAsync);
    }

    public void Emit(LogEvent logEvent) => Enqueue(new Line(logEvent, null));

    /// <summary>Queues an admission decision line, written as <see cref="DecisionLine.WriteTo"/> writes it.</summary>
    public void Emit(DecisionLine decision) => Enqueue(new Line(null, decision));

    private void Enqueue(Line line)
    {
        if (!queue.Writer.TryWrite(line))
        {
            // Full (the output is slower than the requests) or completed (disposing): wait, never drop.
            try
            {
                queue.Writer.WriteAsync(line).AsTask().GetAwaiter().GetResult();
            }
            catch (ChannelClosedException)
            {
                lock (output)
                {
                    Write(line);
                    output.Flush();
                }
            }
        }
    }

    public void Dispose()
    {
        queue.Writer.TryComplete();
        writer.Wait(TimeSpan.FromSeconds(5));
        lock (output)
        {
            output.Flush();
        }
    }

    // Awaits lines on the thread pool instead of blocking a thread of its own: a blocked waiter spins
    // (sched_yield) before it sleeps, and is woken with a context switch, once per batch.
    private async Task WriteLoopAsync()
    {
        var reader = queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (!reader.Completion.IsCompleted)
            {
                await Task.Delay(Linger).ConfigureAwait(false);
            }

            lock (output)
            {
                while (reader.TryRead(out var line))
                {
                    Write(line);
                }

                output.Flush();
            }
        }
    }

    private void Write(Line line)
    {
        if (line.Decision is { } decision)
        {
            decision.WriteTo(output);
        }
        else
        {
            formatter.Format(line.Event!, output);
        }
    }

    private readonly record struct Line(LogEvent? Event, DecisionLine? Decision);
}
