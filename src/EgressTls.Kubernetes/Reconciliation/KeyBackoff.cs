using System.Collections.Concurrent;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>Exponential backoff per key (an object or a workload): a key that keeps failing is retried after
/// 1x, 2x, 4x ... the initial delay, up to the maximum; success forgets it.</summary>
/// <param name="initial">Delay after the first failure.</param>
/// <param name="maximum">Largest delay.</param>
public sealed class KeyBackoff(TimeSpan initial, TimeSpan maximum)
{
    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset NextAttempt)> keys = new(StringComparer.Ordinal);

    /// <summary>Keys currently backing off.</summary>
    public int Count => keys.Count;

    /// <summary>Records a failure at <paramref name="now"/>; returns the delay before the next attempt.</summary>
    public TimeSpan Failed(string key, DateTimeOffset now)
    {
        var failures = keys.TryGetValue(key, out var state) ? state.Failures + 1 : 1;
        var ticks = Math.Min(initial.Ticks * Math.Pow(2, Math.Min(failures - 1, 30)), maximum.Ticks);
        var delay = TimeSpan.FromTicks((long)ticks);
        keys[key] = (failures, now + delay);
        return delay;
    }

    /// <summary>Forgets <paramref name="key"/> (it succeeded).</summary>
    public void Succeeded(string key) => keys.TryRemove(key, out _);

    /// <summary>True when <paramref name="key"/> must not be tried yet.</summary>
    public bool IsWaiting(string key, DateTimeOffset now) => keys.TryGetValue(key, out var s) && now < s.NextAttempt;

    /// <summary>Failures recorded for <paramref name="key"/>.</summary>
    public int Failures(string key) => keys.TryGetValue(key, out var s) ? s.Failures : 0;

    /// <summary>The earliest next attempt, if any key is waiting.</summary>
    public DateTimeOffset? NextAttempt => keys.IsEmpty ? null : keys.Values.Min(v => v.NextAttempt);
}
