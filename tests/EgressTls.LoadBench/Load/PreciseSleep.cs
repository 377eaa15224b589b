using System.Diagnostics;
using System.Runtime.InteropServices;

namespace EgressTls.LoadBench.Load;

/// <summary>
/// Sleeping until an absolute <see cref="Stopwatch"/> timestamp with sub-millisecond precision and no
/// spinning. Timers (<see cref="Task.Delay(TimeSpan)"/>) wake on millisecond ticks, which would add up to a
/// millisecond of client-side lateness to requests measured from their intended send time; spinning
/// would take a core from the server on a 2-core machine. On Linux, Stopwatch reads CLOCK_MONOTONIC in
/// nanoseconds, so clock_nanosleep(TIMER_ABSTIME) sleeps to exactly that timestamp.
/// </summary>
internal static partial class PreciseSleep
{
    private const int ClockMonotonic = 1;
    private const int TimerAbsTime = 1;

    private static readonly bool Native = OperatingSystem.IsLinux() && Stopwatch.Frequency == 1_000_000_000;

    /// <summary>Blocks the calling thread until <paramref name="timestamp"/> (a Stopwatch timestamp).</summary>
    public static void Until(long timestamp)
    {
        if (Native)
        {
            var target = new Timespec(timestamp / 1_000_000_000, timestamp % 1_000_000_000);
            // EINTR (a signal) returns early: loop until the time has come.
            while (Stopwatch.GetTimestamp() < timestamp && ClockNanosleep(ClockMonotonic, TimerAbsTime, ref target, IntPtr.Zero) != 0)
            {
            }

            return;
        }

        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (remaining > TimeSpan.Zero)
        {
            Thread.Sleep(remaining);
        }
    }

    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    private static partial int ClockNanosleep(int clock, int flags, ref Timespec request, IntPtr remain);

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Timespec(long Seconds, long Nanoseconds);
}
