using System.Text.Json.Nodes;
using EgressTls.Core.Model;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Cilium;

/// <summary>
/// Builds the profile's CiliumNetworkPolicy and decides what happens to the pods' egress that egress-tls
/// does not redirect. Any egress rule turns the selected pods default-deny for egress (cilium-facts 4.6),
/// so the policy always states a choice and the generation always warns about it.
/// </summary>
internal static class OtherEgressPolicy
{
    public static JsonObject Build(EgressProfile profile, RenderOptions options, List<JsonObject> redirectRules, bool usesFqdn, List<string> warnings)
    {
        var target = options.Cilium;
        var name = CiliumNames.Policy(profile);
        var where = $"CiliumNetworkPolicy {profile.Namespace}/{name}";
        var egress = new JsonArray();
        var allowOnOldCilium = profile.OtherEgress == OtherEgress.Allow && !target.SupportsEnableDefaultDeny;

        // toFQDNs only learns IPs from lookups the DNS proxy sees: the DNS rule to kube-dns with an L7 dns
        // rule is required (cilium-facts 3, 6.6). Under default-deny it also keeps the pod's DNS working.
        if (usesFqdn || profile.OtherEgress == OtherEgress.Deny)
        {
            egress.Add(DnsRule(options));
        }

        foreach (var rule in redirectRules)
        {
            egress.Add(rule);
        }

        var spec = new JsonObject
        {
            ["endpointSelector"] = CiliumManifests.MatchLabels(profile.PodSelector),
        };

        if (profile.OtherEgress == OtherEgress.Allow && target.SupportsEnableDefaultDeny)
        {
            // 1.16+: the policy adds its redirects without making the pods default-deny. Redirects and L7
            // rules still apply to the traffic they select: Cilium's documented example intercepts all DNS
            // with enableDefaultDeny.egress=false "but does not block any traffic" (Documentation/security/
            // policy/intro.rst); the allow-all it adds is an L3/L4 wildcard, and the more specific
            // identity+port entry that redirects to the proxy wins. L7 rules keep filtering the selected
            // traffic on 1.16 (#38676); 1.17 (backport PR #39375) and 1.18 add an L7 allow-all instead (PR
            // #38841), which is why HTTP allow-lists with other-egress=allow are refused there (CiliumConflicts).
            spec["enableDefaultDeny"] = new JsonObject { ["egress"] = false };
            warnings.Add($"{Naming.Prefix}other-egress=allow: {where} redirects only the listed destinations and sets enableDefaultDeny.egress=false, so the pods' other egress is unchanged (allowed unless another policy selecting them denies it); this needs the agent option enable-non-default-deny-policies (default true), without which Cilium treats the policy as default-deny");
        }
        else if (allowOnOldCilium)
        {
            // Before 1.16 there is no enableDefaultDeny. An L3 allow-all (toEntities: all/world) is never
            // added: the intercepted destinations are world identities too, and an L3-only allow for them
            // may widen the intercepted port's L7 rules (Cilium's historical wildcardL3L4Rules copied L3-only
            // peers into every L7 filter as an allow-all HTTP rule). The cluster entity does not select
            // the intercepted (world) destinations, so in-cluster egress is kept without touching them.
            egress.Add(new JsonObject { ["toEntities"] = new JsonArray("cluster") });
            warnings.Add($"{Naming.Prefix}other-egress=allow on Cilium {target.Version.Major}.{target.Version.Minor}: this Cilium has no enableDefaultDeny (1.16+), so {where} makes the pods default-deny for egress; it allows DNS, the listed destinations and everything inside the cluster (toEntities: cluster); all OTHER egress to outside the cluster is DENIED unless another policy allows it");
        }
        else
        {
            warnings.Add($"{Naming.Prefix}other-egress=deny: {where} makes the pods default-deny for egress; only DNS to the cluster DNS and the listed destinations are allowed by it, all other egress is DROPPED unless another policy selecting the pods allows it");
        }

        spec["egress"] = egress;
        return new JsonObject
        {
            ["apiVersion"] = CiliumManifests.CiliumApiVersion,
            ["kind"] = CiliumManifests.NetworkPolicyKind,
            ["metadata"] = CiliumManifests.ProfileMetadata(profile, name, namespaced: true),
            ["spec"] = spec,
        };
    }

    /// <summary>DNS to kube-dns on port 53 (protocol ANY: UDP and TCP) through the DNS proxy, every name.</summary>
    private static JsonObject DnsRule(RenderOptions options) => new()
    {
        ["toEndpoints"] = new JsonArray(CiliumManifests.MatchLabels(options.DnsSelector)),
        ["toPorts"] = new JsonArray(new JsonObject
        {
            ["ports"] = CiliumManifests.Ports(53, "ANY"),
            ["rules"] = new JsonObject
            {
                ["dns"] = new JsonArray(new JsonObject { ["matchPattern"] = "*" }),
            },
        }),
    };
}
