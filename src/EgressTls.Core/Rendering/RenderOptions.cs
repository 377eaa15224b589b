using System.Collections.Immutable;

namespace EgressTls.Core.Rendering;

/// <summary>Installation-wide settings that shape every render. Comes from the chart's values.</summary>
public sealed record RenderOptions
{
    /// <summary>The Cilium the objects are for.</summary>
    public CiliumTarget Cilium { get; init; } = new();

    /// <summary>The webhook's own namespace: the CA lives here, and in SDS mode the policy Secrets too.</summary>
    public string WebhookNamespace { get; init; } = "egress-tls";

    /// <summary>Name of the per-namespace trust bundle ConfigMap egress-tls maintains.</summary>
    public string TrustBundleName { get; init; } = "egress-tls-trust-bundle";

    /// <summary>Directory where the trust bundle is mounted in every container.</summary>
    public string TrustMountPath { get; init; } = "/etc/egress-tls/trust";

    /// <summary>Labels of the cluster DNS pods that <c>toFQDNs</c> rules need a DNS rule to.</summary>
    public ImmutableSortedDictionary<string, string> DnsSelector { get; init; } =
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, string>
        {
            ["io.kubernetes.pod.namespace"] = "kube-system",
            ["k8s-app"] = "kube-dns",
        });

    /// <summary>Namespaces egress-tls never mutates (kube-system and its own namespace are always added).</summary>
    public ImmutableArray<string> ExcludedNamespaces { get; init; } = ["kube-system", "kube-public", "kube-node-lease"];

    /// <summary>Installation intercept groups: their hosts are the lowest-precedence default of
    /// <c>egress-tls.io/intercept</c> in the namespaces they select (unioned when several match).</summary>
    public ImmutableArray<InterceptGroup> InterceptGroups { get; init; } = [];

    /// <summary>Labels that select the Flux notification-controller pods in a Provider's namespace.</summary>
    public ImmutableSortedDictionary<string, string> FluxNotificationControllerSelector { get; init; } =
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, string>
        {
            ["app"] = "notification-controller",
        });
}
