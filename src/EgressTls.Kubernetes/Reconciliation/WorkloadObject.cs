using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>
/// A Pod or Flux Provider as the desired-state function sees it: what groups it (namespace, labels,
/// annotations, phase) is read eagerly, the full manifest only when this object is the one rendered.
/// </summary>
/// <param name="Kind"><c>Pod</c> or <c>Provider</c>.</param>
/// <param name="Namespace">Its namespace.</param>
/// <param name="Name">Its name.</param>
/// <param name="Uid">Its uid (events name it; the render memo keys on it).</param>
/// <param name="Labels">Its labels.</param>
/// <param name="Annotations">Its annotations.</param>
/// <param name="Phase">For pods, <c>status.phase</c>.</param>
/// <param name="Manifest">Produces the object as JSON (called for representatives only).</param>
public sealed record WorkloadObject(
    string Kind,
    string Namespace,
    string Name,
    string? Uid,
    ImmutableSortedDictionary<string, string> Labels,
    ImmutableSortedDictionary<string, string> Annotations,
    string? Phase,
    Func<JsonObject> Manifest)
{
    /// <summary>The reference events are written against.</summary>
    public WorkloadRef Ref => new(Kind == "Provider" ? "notification.toolkit.fluxcd.io/v1beta3" : "v1", Kind, Namespace, Name, Uid);
}
