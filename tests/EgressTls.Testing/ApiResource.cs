namespace EgressTls.Testing;

/// <summary>A resource the <see cref="StandInApiServer"/> serves.</summary>
/// <param name="Group">API group (<c>""</c> for core).</param>
/// <param name="Versions">Served versions; objects are stored once and shown in the version asked for.</param>
/// <param name="Plural">Resource plural in paths.</param>
/// <param name="Kind">Object kind.</param>
/// <param name="Namespaced">True for namespaced resources.</param>
public sealed record ApiResource(string Group, string[] Versions, string Plural, string Kind, bool Namespaced)
{
    /// <summary>The kinds egress-tls uses.</summary>
    public static IReadOnlyList<ApiResource> Defaults { get; } =
    [
        new("", ["v1"], "namespaces", "Namespace", false),
        new("", ["v1"], "pods", "Pod", true),
        new("", ["v1"], "secrets", "Secret", true),
        new("", ["v1"], "configmaps", "ConfigMap", true),
        new("", ["v1"], "events", "Event", true),
        new("coordination.k8s.io", ["v1"], "leases", "Lease", true),
        new("cilium.io", ["v2"], "ciliumnetworkpolicies", "CiliumNetworkPolicy", true),
        new("cilium.io", ["v2"], "ciliumclusterwidenetworkpolicies", "CiliumClusterwideNetworkPolicy", false),
        new("cilium.io", ["v2"], "ciliumenvoyconfigs", "CiliumEnvoyConfig", true),
        new("cilium.io", ["v2"], "ciliumclusterwideenvoyconfigs", "CiliumClusterwideEnvoyConfig", false),
        new("notification.toolkit.fluxcd.io", ["v1beta3", "v1beta2"], "providers", "Provider", true),
        new("admissionregistration.k8s.io", ["v1"], "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false),
        new("apps", ["v1"], "daemonsets", "DaemonSet", true),
        new("cert-manager.io", ["v1"], "certificates", "Certificate", true),
    ];

    /// <summary><c>group/version</c> or <c>version</c> for core.</summary>
    public string ApiVersion(string version) => Group.Length == 0 ? version : $"{Group}/{version}";
}
