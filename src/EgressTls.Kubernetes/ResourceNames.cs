namespace EgressTls.Kubernetes;

/// <summary>The REST names (group, version, plural) of the kinds egress-tls writes or reads.</summary>
public static class ResourceNames
{
    /// <summary>Group, version and plural of <paramref name="kind"/> in <paramref name="apiVersion"/>.</summary>
    public static (string Group, string Version, string Plural) Of(string apiVersion, string kind)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var (group, version) = slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
        var plural = kind switch
        {
            "CiliumNetworkPolicy" => "ciliumnetworkpolicies",
            "CiliumClusterwideNetworkPolicy" => "ciliumclusterwidenetworkpolicies",
            "CiliumEnvoyConfig" => "ciliumenvoyconfigs",
            "CiliumClusterwideEnvoyConfig" => "ciliumclusterwideenvoyconfigs",
            "Certificate" => "certificates",
            "Provider" => "providers",
            "MutatingWebhookConfiguration" => "mutatingwebhookconfigurations",
            "Lease" => "leases",
            "DaemonSet" => "daemonsets",
            "Policy" => "policies",
            _ when kind.EndsWith('y') => kind.ToLowerInvariant()[..^1] + "ies",
            _ when kind.EndsWith('s') => kind.ToLowerInvariant() + "es",
            _ => kind.ToLowerInvariant() + "s",
        };
        return (group, version, plural);
    }
}
