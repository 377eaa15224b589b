using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace EgressTls.LoadBench.Wire;

/// <summary>What a capture saw: the exchanges, and the packets the kernel dropped (then the figures are incomplete).</summary>
public sealed record WireResult(IReadOnlyList<WireExchange> Exchanges, long Dropped);

/// <summary>
/// A packet capture of one TCP port on the loopback interface, by <c>tcpdump</c> (kernel timestamps in
/// nanoseconds, headers only), for the time of one cell. Needs tcpdump and the right to capture (root or
/// CAP_NET_RAW); <see cref="StartAsync"/> says which is missing.
/// </summary>
public sealed partial class WireCapture : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private readonly Process process;
    private readonly string file;
    private readonly int port;
    private readonly Task<string> rest;

    private WireCapture(Process process, string file, int port, Task<string> rest)
    {
        this.process = process;
        this.file = file;
        this.port = port;
        this.rest = rest;
    }

    /// <summary>Starts capturing <paramref name="port"/> on <c>lo</c> into a file in <paramref name="directory"/>;
    /// returns once tcpdump listens.</summary>
    /// <exception cref="InvalidOperationException">tcpdump is missing or may not capture, with its own words.</exception>
    public static async Task<WireCapture> StartAsync(int port, string directory)
    {
        var file = Path.Combine(directory, $"wire-{port.ToString(CultureInfo.InvariantCulture)}-{Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture)}.pcap");
        var start = new ProcessStartInfo("tcpdump") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        // --immediate-mode hands each packet over as it comes (not in blocks a stop could leave unread), -U writes
        // it at once, -s 128 keeps the headers only, -B 16 MiB of kernel buffer.
        foreach (var arg in new[] { "-i", "lo", "-nn", "--immediate-mode", "-U", "-s", "128", "-B", "16384", "--time-stamp-precision", "nano", "-w", file, $"tcp port {port.ToString(CultureInfo.InvariantCulture)}" })
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("--wire: cannot start tcpdump");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"--wire needs tcpdump on PATH ({ex.Message}); on Debian: apt-get install tcpdump", ex);
        }

        // tcpdump says "listening on lo, ..." on stderr once the capture runs, or why it cannot.
        var seen = new List<string>();
        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            while (await process.StandardError.ReadLineAsync(timeout.Token).ConfigureAwait(false) is { } line)
            {
                seen.Add(line);
                if (line.Contains("listening on", StringComparison.Ordinal))
                {
                    return new WireCapture(process, file, port, process.StandardError.ReadToEndAsync());
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        Kill(process);
        throw new InvalidOperationException(
            $"--wire: tcpdump did not start capturing on lo (it needs root or CAP_NET_RAW): {string.Join(" ", seen).Trim()}");
    }

    /// <summary>Stops the capture (SIGINT, so tcpdump flushes and reports drops) and pairs what it saw.</summary>
    public async Task<WireResult> StopAsync()
    {
        if (!process.HasExited)
        {
            // The last answer has reached the client, so its packets have passed the interface; give tcpdump a
            // moment to write them.
            await Task.Delay(100).ConfigureAwait(false);
            _ = Interrupt(process.Id);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
        }

        var report = await rest.ConfigureAwait(false);
        var dropped = DroppedByKernel().Match(report) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var segments = Pcap.ReadTcp(await File.ReadAllBytesAsync(file).ConfigureAwait(false));
        File.Delete(file);
        return new WireResult(WireExchanges.Pair(segments, port), dropped);
    }

    public async ValueTask DisposeAsync()
    {
        Kill(process);
        await process.WaitForExitAsync().ConfigureAwait(false);
        process.Dispose();
        File.Delete(file);
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    [GeneratedRegex(@"(\d+) packets? dropped by kernel")]
    private static partial Regex DroppedByKernel();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private static int Interrupt(int pid) => Kill(pid, 2);
}
