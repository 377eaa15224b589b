using System.Collections.Immutable;
using EgressTls.Core.Rendering;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>Everything the desired state is derived from, read from the informers' caches.</summary>
/// <param name="Namespaces">The namespaces that exist, by name.</param>
/// <param name="Pods">Pods that carry the profile label or were opted in by label (terminal pods are ignored).</param>
/// <param name="Providers">Flux Providers (empty when the CRD is absent).</param>
/// <param name="ExistingTrustBundles">Namespaces where the trust bundle ConfigMap exists now.</param>
public sealed record DesiredStateInput(
    ImmutableDictionary<string, NamespaceInfo> Namespaces,
    IReadOnlyList<WorkloadObject> Pods,
    IReadOnlyList<WorkloadObject> Providers,
    ImmutableHashSet<string> ExistingTrustBundles);
