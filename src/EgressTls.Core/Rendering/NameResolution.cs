using System.Collections.Immutable;
using System.Text.Json;
using EgressTls.Core.Annotations;
using EgressTls.Core.Cilium;
using static EgressTls.Core.JsonMembers;

namespace EgressTls.Core.Rendering;

/// <summary>
/// Whether the pod resolves the names of its <c>toFQDNs</c> rules the way Cilium needs: <c>toFQDNs</c> learns a
/// name's addresses only from lookups Cilium's DNS proxy sees, and the generated policy's DNS rule sends it only
/// the lookups to the cluster DNS pods (cilium-facts 3). A name resolved elsewhere is never intercepted or
/// redirected: interception is silently skipped, and mTLS traffic reaches the TLS port in plain HTTP.
/// </summary>
internal static class NameResolution
{
    /// <summary>Adds an error for each way the pod's names bypass the cluster DNS, and a warning where it may.</summary>
    public static void Check(JsonElement pod, EgressRequest request, RenderOptions options, ImmutableArray<FieldError>.Builder errors, ImmutableArray<string>.Builder warnings)
    {
        var names = request.Mtls.Select(m => m.Destination).Where(d => !d.IsIpAddress).Select(d => d.Host)
            .Concat(request.Intercept?.Hosts.Select(h => h.Host) ?? []).ToImmutableArray();
        if (names.IsEmpty)
        {
            return;
        }

        var spec = Member(pod, "spec"u8, JsonValueKind.Object);
        string Dns() => string.Join(",", options.DnsSelector.Select(kv => $"{kv.Key}={kv.Value}"));
        switch (Member(spec, "dnsPolicy"u8, JsonValueKind.String)?.GetString())
        {
            case "Default":
                // The node's resolvers: with other-egress deny no lookup is even answered.
                errors.Add(new FieldError("spec.dnsPolicy", $"\"Default\": the pod resolves names through the node's resolvers, not the cluster DNS ({Dns()}) whose lookups Cilium's DNS proxy sees, so the toFQDNs rules of egress-tls.io/intercept and egress-tls.io/mtls would never match and nothing would be intercepted or redirected; expected dnsPolicy ClusterFirst (the default), or only IP destinations in egress-tls.io/mtls"));
                break;
            case "None":
                warnings.Add($"spec.dnsPolicy is None: the toFQDNs rules of egress-tls.io/intercept and egress-tls.io/mtls match only names looked up through the cluster DNS ({Dns()}), so spec.dnsConfig.nameservers must be the cluster DNS Service; lookups sent elsewhere are not seen by Cilium's DNS proxy, and those names are not intercepted or redirected");
                break;
        }

        // /etc/hosts entries are resolved without any lookup.
        if (Member(spec, "hostAliases"u8, JsonValueKind.Array) is not { } aliases)
        {
            return;
        }

        var i = 0;
        foreach (var alias in aliases.EnumerateArray())
        {
            var j = 0;
            if (Member(alias, "hostnames"u8, JsonValueKind.Array) is { } hostnames)
            {
                foreach (var hostname in hostnames.EnumerateArray())
                {
                    if (hostname.ValueKind == JsonValueKind.String && HostSyntax.CheckDnsName(hostname.GetString()!, out var normalized) is null
                        && names.FirstOrDefault(n => CiliumConflicts.Covers(n, normalized)) is { } name)
                    {
                        errors.Add(new FieldError($"spec.hostAliases[{i}].hostnames[{j}]", $"{ValueQuote.Quote(hostname.GetString()!)} is resolved from /etc/hosts without a DNS lookup, so Cilium never learns its address for the toFQDNs rule of {ValueQuote.Quote(name)} and its traffic is not intercepted or redirected; expected no host alias for a name in egress-tls.io/intercept or egress-tls.io/mtls (use an IP destination in egress-tls.io/mtls for a fixed address)"));
                    }

                    j++;
                }
            }

            i++;
        }
    }
}
