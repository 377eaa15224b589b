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
}
