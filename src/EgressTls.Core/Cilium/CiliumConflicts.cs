using System.Collections.Immutable;
using EgressTls.Core.Model;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Cilium;

/// <summary>
/// Combinations the target Cilium cannot run. They are refused with an error naming the annotation
/// rather than generated, because Cilium would either reject the policy (the endpoint then fails to
/// regenerate) or silently do something else than asked.
/// </summary>
internal static class CiliumConflicts
{
    public const string InterceptField = "metadata.annotations[" + Naming.Prefix + "intercept]";
    public const string HttpRulesField = "metadata.annotations[" + Naming.Prefix + "intercept-http-rules]";
    public const string MtlsField = "metadata.annotations[" + Naming.Prefix + "mtls]";

    private static readonly Version Sds = new(1, 17);
    private static readonly Version AllowAllL7WhenNotDefaultDeny = new(1, 17);
    private const int DnsPort = 53;

    public static ImmutableArray<FieldError> Check(EgressProfile profile, CiliumTarget target)
    {
        var errors = ImmutableArray.CreateBuilder<FieldError>();
        var version = $"{target.Version.Major}.{target.Version.Minor}";
        var intercept = profile.Intercept;
        var interceptHosts = intercept?.Hosts ?? ImmutableArray<HostPort>.Empty;

        foreach (var host in interceptHosts.Where(h => h.IsIpAddress))
        {
            errors.Add(new FieldError(InterceptField,
                $"\"{host}\" is an IP address; expected a DNS name or a *. wildcard (interception selects destinations with toFQDNs and needs a name for the certificate)"));
        }

        if (!interceptHosts.IsEmpty && target.SecretsMode == SecretsMode.Sds && target.Version < Sds)
        {
            // Policy secret sync (SDS) exists from Cilium 1.17 (PR #35513); before, the agent reads the
            // Secret inline from the policy secrets namespace (cilium-facts 2.1).
            errors.Add(new FieldError(InterceptField,
                $"interception cannot be configured: the installation targets Cilium {version} with secretsMode=sds, but policy secret sync (SDS) needs Cilium 1.17+; expected cilium.secretsMode=inline in the egress-tls configuration for Cilium {version}"));
        }

        if (intercept is { HttpRules: { IsDefaultOrEmpty: false } } && profile.OtherEgress == OtherEgress.Allow && target.Version >= AllowAllL7WhenNotDefaultDeny)
        {
            // With enableDefaultDeny.egress=false Cilium appends an allow-all L7 rule to every L7 rule of the
            // policy (PR #38841 fixing #38676, in 1.18 and backported to 1.17 by PR #39375; the 1.17 patch
            // level is not known here): the HTTP allow-list would be silently void.
            errors.Add(new FieldError(HttpRulesField,
                $"HTTP allow rules are not enforced on Cilium {version} when other egress stays allowed (enableDefaultDeny.egress=false makes Cilium add an allow-all HTTP rule, cilium/cilium#38841); expected {Naming.Prefix}other-egress: \"deny\" together with the HTTP rules, or no HTTP rules"));
        }

        // toFQDNs never applies to IPs inside the cluster (CRD doc of ToFQDNs: "If the resolved IPs are IPs
        // within the kubernetes cluster, the ToFQDN rule will not apply to that IP"): a Service name would
        // silently not be redirected.
        foreach (var host in interceptHosts.Where(h => IsClusterName(h.Host)))
        {
            errors.Add(new FieldError(InterceptField,
                $"\"{host}\" is a cluster-internal name; Cilium's toFQDNs does not select in-cluster addresses, so it would not be intercepted; expected an external DNS name"));
        }

        foreach (var destination in profile.Mtls.Select(m => m.Destination).Distinct().Where(d => IsClusterName(d.Host)))
        {
            errors.Add(new FieldError(MtlsField,
                $"\"{destination}\" is a cluster-internal name; Cilium's toFQDNs does not select in-cluster addresses, so it would not be redirected; expected an external DNS name or an IP outside the cluster"));
        }

        foreach (var group in profile.Mtls.GroupBy(m => m.Destination))
        {
            var distinct = group.Distinct().ToList();
            if (distinct.Count > 1)
            {
                errors.Add(new FieldError(MtlsField,
                    $"destination {group.Key} is listed {distinct.Count} times with different settings ({string.Join("; ", distinct.Select(Describe))}); expected one entry per destination"));
            }
        }

        foreach (var destination in profile.Mtls.Select(m => m.Destination).Distinct())
        {
            if (destination.IsWildcard)
            {
                errors.Add(new FieldError(MtlsField,
                    $"\"{destination}\" is a wildcard; expected an IP address or a DNS name (the upstream TLS needs one server name)"));
            }

            if (target.AllowsMixedParsersOnPort && interceptHosts.Any(h => h.Port == destination.Port && Covers(h.Host, destination.Host)))
            {
                // Interception needs TLS from the pod, mTLS injection plain HTTP; and on 1.18 the HTTP parser
                // (priority 101) wins over the listener (126) for the overlap (PR #37887). Before 1.18 the
                // port check below already refuses it.
                errors.Add(new FieldError(MtlsField,
                    $"{destination} is also intercepted ({Naming.Prefix}intercept); expected a destination to be either intercepted or given a client certificate"));
            }
        }

        if (!target.AllowsMixedParsersOnPort)
        {
            // 1.15-1.17 store the L7 parser per port: http (interception), crd (listener) and dns cannot be
            // merged on one port for one endpoint ("cannot merge conflicting L7 parsers", cilium-facts 1.3).
            var interceptPorts = interceptHosts.Select(h => h.Port).ToHashSet();
            foreach (var port in profile.Mtls.Select(m => m.Destination.Port).Distinct().Order())
            {
                if (interceptPorts.Contains(port))
                {
                    errors.Add(new FieldError(MtlsField,
                        $"port {port} is used both for interception and for client-certificate injection; Cilium {version} cannot redirect one port of a pod to two different proxies (supported from Cilium 1.18, PR #37887); expected different ports or separate pods"));
                }
            }

            if (interceptPorts.Contains(DnsPort))
            {
                errors.Add(new FieldError(InterceptField,
                    $"port {DnsPort} cannot be intercepted on Cilium {version}: the DNS rule that toFQDNs needs uses port {DnsPort}; expected another port"));
            }

            if (profile.Mtls.Any(m => m.Destination.Port == DnsPort))
            {
                errors.Add(new FieldError(MtlsField,
                    $"port {DnsPort} cannot be redirected on Cilium {version}: the policy's DNS rule uses port {DnsPort}; expected another port"));
            }
        }

        return errors.ToImmutable();
    }

    /// <summary>True when the intercepted <paramref name="pattern"/> (a name or <c>*.</c> wildcard of one
    /// label, as Cilium's matchPattern) matches <paramref name="host"/>.</summary>
    public static bool Covers(string pattern, string host)
    {
        if (!pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            return string.Equals(pattern, host, StringComparison.Ordinal);
        }

        var suffix = pattern[1..];
        return host.EndsWith(suffix, StringComparison.Ordinal)
            && host.Length > suffix.Length
            && !host[..^suffix.Length].Contains('.', StringComparison.Ordinal);
    }

    private static bool IsClusterName(string host) =>
        host.EndsWith(".svc", StringComparison.Ordinal)
        || host.EndsWith(".cluster.local", StringComparison.Ordinal)
        || host.Contains(".svc.", StringComparison.Ordinal);

    private static string Describe(MtlsDestination m) =>
        $"cert={m.ClientCertSecret}" + (m.ServerCaSecret is null ? "" : $" ca={m.ServerCaSecret}")
        + (m.Sni is null ? "" : $" sni={m.Sni}") + (m.VerifyServer ? "" : " verify=false");
}
