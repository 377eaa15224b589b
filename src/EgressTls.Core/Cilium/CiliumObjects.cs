using System.Collections.Immutable;
using System.Text.Json.Nodes;
using EgressTls.Core.Model;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Cilium;

/// <summary>Turns an <see cref="EgressProfile"/> into the exact Cilium/Envoy objects for the target Cilium.</summary>
public static class CiliumObjects
{
    /// <summary>
    /// Deterministic: the same profile and options always give byte-identical objects. Produces, in apply
    /// order, the Secrets (leaf and CA-only Secrets for interception, client certificate and server CA
    /// copies for mTLS), the profile's CiliumEnvoyConfig (or CiliumClusterwideEnvoyConfig) when it injects
    /// client certificates, and one CiliumNetworkPolicy <c>N/egress-tls-&lt;Id&gt;</c> selecting the
    /// profile's pods. Only fields the target Cilium version accepts are written. Combinations the target
    /// cannot run are returned as <see cref="CiliumGeneration.Errors"/> with no objects. Every non-empty
    /// generation carries a warning stating what happens to the pods' other egress.
    /// </summary>
    public static CiliumGeneration Generate(EgressProfile profile, RenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(options);

        var hasIntercept = profile.Intercept is { Hosts.IsDefaultOrEmpty: false };
        var hasMtls = !profile.Mtls.IsDefaultOrEmpty;
        if (!hasIntercept && !hasMtls)
        {
            return new CiliumGeneration([], [], []);
        }

        // Total for any well-typed input: default (uninitialised) arrays mean "none".
        profile = profile with { Intercept = hasIntercept ? profile.Intercept : null, Mtls = hasMtls ? profile.Mtls : [] };

        var errors = CiliumConflicts.Check(profile, options.Cilium);
        if (!errors.IsEmpty)
        {
            return new CiliumGeneration([], [], errors);
        }

        var objects = new List<GeneratedObject>();
        var warnings = new List<string>();
        var rules = new List<JsonObject>();
        var usesFqdn = false;

        if (hasIntercept)
        {
            rules.AddRange(InterceptionRules.Build(profile, profile.Intercept!, options, objects));
            usesFqdn = true;
        }

        if (hasMtls)
        {
            var (mtlsRules, mtlsFqdn) = MtlsInjection.Build(profile, options, objects, warnings);
            rules.AddRange(mtlsRules);
            usesFqdn |= mtlsFqdn;
        }

        var policy = OtherEgressPolicy.Build(profile, options, rules, usesFqdn, warnings);
        objects.Add(new GeneratedObject(policy));

        // Secrets, then Envoy configs, then the policy (a policy naming a missing Secret or listener fails
        // to regenerate the endpoint, cilium-facts 4.6); the same object twice (e.g. the public roots in a
        // namespace that is both the policy and the Envoy secrets namespace) is written once.
        var ordered = objects
            .Select((o, i) => (Object: o, Index: i))
            .DistinctBy(x => (x.Object.Kind, x.Object.Namespace, x.Object.Name))
            .OrderBy(x => x.Object.ApplyRank)
            .ThenBy(x => x.Index)
            .Select(x => x.Object)
            .ToImmutableArray();

        return new CiliumGeneration(ordered, [.. warnings], []);
    }
}
