namespace EgressTls.Core;

/// <summary>
/// A bounded, least-recently-used, thread-safe map from keys to values made on demand: the memo behind the
/// admission path's caches of pure results (<see cref="Cilium.CiliumGenerationCache"/>,
/// <see cref="Rendering.PodIntentCache"/>). A value is made outside the lock, so two threads may both make
/// one for a new key; the first one stored is kept and returned to both (the values of one key are equal).
/// </summary>
internal sealed class BoundedLru<TKey, TValue>
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> entries;
    private readonly LinkedList<(TKey Key, TValue Value)> recency = []; // most recently used first
    private readonly Lock gate = new();
    private readonly int capacity;

    /// <summary>A map of at most <paramref name="capacity"/> entries (0 remembers nothing).</summary>
    public BoundedLru(int capacity, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        this.capacity = capacity;
        entries = new(comparer);
    }

    /// <summary>Entries held now.</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return entries.Count;
            }
        }
    }

    /// <summary>The value remembered for <paramref name="key"/>, else <paramref name="make"/>(key), remembered.</summary>
    public TValue GetOrAdd(TKey key, Func<TKey, TValue> make) => GetOrAdd(key, make, static (key, make) => make(key));

    /// <summary>
    /// The value remembered for <paramref name="key"/>, else <paramref name="make"/>(key, state), remembered
    /// (evicting the least recently used beyond the capacity).
    /// </summary>
    public TValue GetOrAdd<TState>(TKey key, TState state, Func<TKey, TState, TValue> make)
    {
        if (capacity == 0)
        {
            return make(key, state);
        }

        lock (gate)
        {
            if (entries.TryGetValue(key, out var node))
            {
                recency.Remove(node);
                recency.AddFirst(node);
                return node.Value.Value;
            }
        }

        var value = make(key, state);
        lock (gate)
        {
            if (entries.TryGetValue(key, out var node))
            {
                return node.Value.Value;
            }

            entries[key] = recency.AddFirst((key, value));
            while (entries.Count > capacity)
            {
                var last = recency.Last!;
                recency.RemoveLast();
                entries.Remove(last.Value.Key);
            }
        }

        return value;
    }
}
