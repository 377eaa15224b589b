using EgressTls.Core.Model;

namespace EgressTls.Core.Cilium;

/// <summary>
/// Names of everything the Cilium generator writes. Every name is derived from its inputs, so the same
/// profile always yields the same names, and names in shared namespaces (<c>cilium-secrets</c>, the
/// webhook namespace) carry the workload namespace plus a hash so two namespaces never collide.
/// </summary>
internal static class CiliumNames
{
    /// <summary>CA-only Secret holding the public roots (used by originatingTLS and by mTLS clusters
    /// that verify without a user CA).</summary>
    public const string PublicRoots = "egress-tls-public-roots";

    /// <summary>Leaf Secret for a set of names: shared by every profile that intercepts exactly these names.</summary>
    public static string Leaf(IEnumerable<string> sortedNames) =>
        "egress-tls-leaf-" + Naming.ShortHash(string.Join('\n', sortedNames));

    /// <summary>Copy of the user's <c>upstream-ca</c> Secret (its <c>ca.crt</c> only).</summary>
    public static string UpstreamCa(string workloadNamespace, string secret) =>
        Naming.Compose(["egress-tls-upstream", workloadNamespace, secret]);

    /// <summary>Copy of the user's client certificate Secret in the Envoy secrets namespace.</summary>
    public static string ClientCertCopy(string workloadNamespace, string secret) =>
        Naming.Compose(["egress-tls", workloadNamespace, secret]);

    /// <summary>Copy of the user's server CA Secret (its <c>ca.crt</c> only) in the Envoy secrets namespace.</summary>
    public static string ServerCaCopy(string workloadNamespace, string secret) =>
        Naming.Compose(["egress-tls", workloadNamespace, secret, "ca"]);

    /// <summary>The profile's CiliumNetworkPolicy (in the workload namespace).</summary>
    public static string Policy(EgressProfile profile) => "egress-tls-" + profile.Id;

    /// <summary>The profile's CiliumEnvoyConfig (namespaced) or CiliumClusterwideEnvoyConfig.</summary>
    public static string EnvoyConfig(EgressProfile profile, bool clusterwide) =>
        clusterwide ? Naming.Compose(["egress-tls", profile.Namespace, profile.Id]) : "egress-tls-" + profile.Id;

    /// <summary>Envoy Listener for one mTLS destination. Slash-free: Cilium qualifies it as
    /// <c>ns/cec/name</c> (cilium-facts 4.2), and the CNP <c>listener.name</c> refers to it unqualified.</summary>
    public static string Listener(HostPort destination) =>
        Naming.Compose(["mtls", destination.Host, destination.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], 54) + "-listener";

    /// <summary>Envoy Cluster for one mTLS destination (slash-free, qualified by Cilium like the listener).</summary>
    public static string Cluster(HostPort destination) =>
        Naming.Compose(["mtls", destination.Host, destination.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], 54) + "-cluster";
}
