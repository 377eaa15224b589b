using System.Collections.Immutable;

namespace EgressTls.Core.Rendering;

/// <summary>The parts of a Namespace that affect rendering: labels (opt-in) and annotations (defaults).</summary>
public sealed record NamespaceInfo(
    string Name,
    ImmutableSortedDictionary<string, string> Labels,
    ImmutableSortedDictionary<string, string> Annotations)
{
    /// <summary>A namespace known only by name (no labels, no annotations).</summary>
    public static NamespaceInfo Bare(string name) =>
        new(name, ImmutableSortedDictionary<string, string>.Empty, ImmutableSortedDictionary<string, string>.Empty);

    /// <summary>
    /// Whether <paramref name="other"/> has the same name, labels and annotations (compared ordinally, as
    /// Render reads them). The record's own equality compares the maps by reference; a namespace read
    /// again from the cluster is a new instance with equal content.
    /// </summary>
    public bool HasSameContent(NamespaceInfo other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ReferenceEquals(this, other) || (Name == other.Name && SameMap(Labels, other.Labels) && SameMap(Annotations, other.Annotations));
    }

    private static bool SameMap(ImmutableSortedDictionary<string, string> a, ImmutableSortedDictionary<string, string> b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a.Count != b.Count || !ReferenceEquals(a.KeyComparer, b.KeyComparer) || !ReferenceEquals(a.ValueComparer, b.ValueComparer))
        {
            return false;
        }

        // Both enumerate in key order.
        using var other = b.GetEnumerator();
        foreach (var (key, value) in a)
        {
            if (!other.MoveNext() || !string.Equals(key, other.Current.Key, StringComparison.Ordinal) || !string.Equals(value, other.Current.Value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
