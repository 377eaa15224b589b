using System.Collections.Immutable;

namespace EgressTls.Core.Rendering;

/// <summary>
/// An installation-wide set of hosts to intercept (chart value <c>interceptGroups</c>), applied as the
/// lowest-precedence default of <c>egress-tls.io/intercept</c> in the namespaces it selects. A namespace
/// or pod <c>intercept</c> annotation replaces it (an empty one turns it off).
/// </summary>
/// <param name="Name">The group's name, used in messages.</param>
/// <param name="Hosts">Entries in the <c>intercept</c> syntax (<c>host[:port]</c>, wildcards allowed).</param>
/// <param name="NamespaceMatchLabels">Labels a namespace must all carry; empty selects every namespace.</param>
public sealed record InterceptGroup(
    string Name,
    ImmutableArray<string> Hosts,
    ImmutableSortedDictionary<string, string> NamespaceMatchLabels)
{
    /// <summary>True when the namespace carries every label of <see cref="NamespaceMatchLabels"/>.</summary>
    public bool Selects(NamespaceInfo ns) =>
        NamespaceMatchLabels.All(l => ns.Labels.TryGetValue(l.Key, out var v) && v == l.Value);
}
