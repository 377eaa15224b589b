using System.Collections.Concurrent;

namespace EgressTls.Pki;

/// <summary>
/// Thread-safe in-memory cache of issued leaves keyed by <see cref="LeafCacheKey"/>, so the admission
/// path never generates a key for a name set it already served: concurrent callers for one key
/// share a single issuance. An entry is replaced (issued again) once <see cref="RenewalPolicy.NeedsRenewal"/>
/// holds for it at the injected clock's time. The cache does no I/O; the issuing function decides
/// what an issuance is (usually <see cref="LeafIssuer.Issue"/>).
/// </summary>
public sealed class LeafCache(RenewalPolicy policy, TimeProvider time)
{
    private readonly ConcurrentDictionary<LeafCacheKey, Lazy<IssuedLeaf>> entries = new();

    /// <summary>Number of cached entries.</summary>
    public int Count => entries.Count;

    /// <summary>
    /// Returns the cached leaf for <paramref name="key"/> unless it needs renewal; otherwise calls
    /// <paramref name="issue"/> exactly once for all concurrent callers of that key and caches the
    /// result. If <paramref name="issue"/> throws, nothing is cached and the exception propagates.
    /// </summary>
    public IssuedLeaf GetOrIssue(LeafCacheKey key, Func<LeafCacheKey, IssuedLeaf> issue)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(issue);
        var current = entries.GetOrAdd(key, k => NewEntry(k, issue));
        while (true)
        {
            var leaf = Resolve(key, current);
            if (!policy.NeedsRenewal(leaf.NotAfter, time.GetUtcNow()))
            {
                return leaf;
            }

            var fresh = NewEntry(key, issue);
            if (entries.TryUpdate(key, fresh, current))
            {
                // The fresh leaf is returned even if the policy is odd enough to call it due already: no loop.
                return Resolve(key, fresh);
            }

            // Another caller replaced the entry first; use theirs.
            current = entries.GetOrAdd(key, k => NewEntry(k, issue));
        }
    }

    /// <summary>
    /// Adds a leaf issued earlier (e.g. read back from its Secret at start) unless an entry exists.
    /// Returns true when it was added.
    /// </summary>
    public bool Remember(LeafCacheKey key, IssuedLeaf leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        var value = new Lazy<IssuedLeaf>(leaf);
        return entries.TryAdd(key, value);
    }

    /// <summary>Drops every entry whose key matches <paramref name="predicate"/> (e.g. leaves of a CA that rotation retired); returns how many.</summary>
    public int Evict(Func<LeafCacheKey, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var removed = 0;
        foreach (var kv in entries)
        {
            if (predicate(kv.Key) && entries.TryRemove(kv))
            {
                removed++;
            }
        }

        return removed;
    }

    private static Lazy<IssuedLeaf> NewEntry(LeafCacheKey key, Func<LeafCacheKey, IssuedLeaf> issue) =>
        new(() => issue(key), LazyThreadSafetyMode.ExecutionAndPublication);

    private IssuedLeaf Resolve(LeafCacheKey key, Lazy<IssuedLeaf> entry)
    {
        try
        {
            return entry.Value;
        }
        catch
        {
            // A failed issuance must not poison the key: the next caller tries again.
            entries.TryRemove(new KeyValuePair<LeafCacheKey, Lazy<IssuedLeaf>>(key, entry));
            throw;
        }
    }
}
