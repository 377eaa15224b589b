using System.Collections.Immutable;
using System.Text.Json.Nodes;
using EgressTls.Core.Model;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Cilium;

/// <summary>
/// TLS interception (seeds 002 and 004): per intercepted port one egress rule with <c>toFQDNs</c>,
/// <c>terminatingTLS</c> (a leaf for the names on that port), <c>originatingTLS</c> (a CA-only Secret)
/// and <c>rules.http</c>; plus the Secrets those name.
/// </summary>
internal static class InterceptionRules
{
    /// <summary>
    /// Adds the Secrets to <paramref name="objects"/> and returns the egress rules, one per port.
    /// </summary>
    /// <remarks>
    /// Several host patterns on one port share ONE rule and ONE leaf whose SANs are all of that port's
    /// names. Separate rules per name group would give one port several terminatingTLS contexts, and
    /// Cilium picks the context by destination identity and port: names that resolve to the same IP
    /// (CDNs, e.g. github.com and *.github.com) would then get an arbitrary one of the certificates
    /// (cilium-facts 3, "interception is keyed on destination identity + port"). <c>serverNames</c> does
    /// not help: it is an SNI allow-list that denies other names rather than selecting a certificate,
    /// and before 1.18 it takes exact names only (PR #38615). One leaf covering every name on the port is
    /// valid for whichever name the pod asked for, and identical name sets share one Secret.
    /// </remarks>
    public static List<JsonObject> Build(EgressProfile profile, InterceptSpec intercept, RenderOptions options, List<GeneratedObject> objects)
    {
        var target = options.Cilium;

        // SDS (1.17+): the operator copies the Secret from its namespace; keep it out of cilium-secrets,
        // whose own Secrets the operator does not re-sync (cilium-facts 2.2). Inline: the agent reads it
        // from the policy secrets namespace only (default backend, cilium-facts 2.1). Always referenced with
        // an explicit namespace.
        var secretsNamespace = target.SecretsMode == SecretsMode.Sds ? options.WebhookNamespace : target.PolicySecretsNamespace;
        var upstreamSecrets = new List<GeneratedObject>();
        var upstream = UpstreamSecret(profile, intercept, secretsNamespace, upstreamSecrets);
        var rules = new List<JsonObject>();

        foreach (var port in intercept.Hosts.GroupBy(h => h.Port).OrderBy(g => g.Key))
        {
            var names = port.Select(h => h.Host).Distinct().Order(StringComparer.Ordinal).ToImmutableArray();
            var leaf = CiliumNames.Leaf(names);

            // tls.crt + tls.key only, never ca.crt (Cilium #31761: a CA there makes Envoy demand client
            // certificates from the pods on 1.15).
            objects.Add(new GeneratedObject(
                CiliumManifests.Secret(leaf, secretsNamespace, CiliumManifests.TlsSecretType, CiliumManifests.Labels(null, null)),
                new LeafCertificateContent(names, ImmutableArray<string>.Empty)));

            var portRule = new JsonObject
            {
                ["ports"] = CiliumManifests.Ports(port.Key, "TCP"),
                ["terminatingTLS"] = SecretRef(secretsNamespace, leaf),
                ["originatingTLS"] = SecretRef(secretsNamespace, upstream),
                ["rules"] = new JsonObject { ["http"] = HttpRules(intercept.HttpRules) },
            };

            rules.Add(new JsonObject
            {
                ["toFQDNs"] = Fqdns(names),
                ["toPorts"] = new JsonArray(portRule),
            });
        }

        objects.AddRange(upstreamSecrets);
        return rules;
    }

    /// <summary><c>matchName</c> for exact names, <c>matchPattern</c> for <c>*.</c> wildcards (one label, as
    /// the leaf's wildcard SAN).</summary>
    public static JsonArray Fqdns(IEnumerable<string> names)
    {
        var fqdns = new JsonArray();
        foreach (var name in names)
        {
            fqdns.Add(name.StartsWith("*.", StringComparison.Ordinal)
                ? new JsonObject { ["matchPattern"] = name }
                : new JsonObject { ["matchName"] = name });
        }

        return fqdns;
    }

    private static string UpstreamSecret(EgressProfile profile, InterceptSpec intercept, string secretsNamespace, List<GeneratedObject> objects)
    {
        if (intercept.UpstreamCaSecret is { } source)
        {
            var name = CiliumNames.UpstreamCa(profile.Namespace, source);
            var sourceLabel = secretsNamespace == profile.Namespace ? null : profile.Namespace;
            objects.Add(new GeneratedObject(
                CiliumManifests.Secret(name, secretsNamespace, CiliumManifests.OpaqueSecretType, CiliumManifests.Labels(null, sourceLabel)),
                new CaOnlyContent(profile.Namespace, source)));
            return name;
        }

        objects.Add(CiliumManifests.PublicRootsSecret(secretsNamespace));
        return CiliumNames.PublicRoots;
    }

    private static JsonObject SecretRef(string ns, string name) =>
        new() { ["secret"] = new JsonObject { ["namespace"] = ns, ["name"] = name } };

    private static JsonArray HttpRules(ImmutableArray<HttpRule>? rules)
    {
        // Absent (or empty) means the allow-all rule {} for HTTP visibility (cilium-facts 3).
        var list = rules is { IsDefaultOrEmpty: false } given ? given : [HttpRule.AllowAll];
        var http = new JsonArray();
        foreach (var rule in list)
        {
            var json = new JsonObject();
            if (rule.Method is not null)
            {
                json["method"] = rule.Method;
            }

            if (rule.Path is not null)
            {
                json["path"] = rule.Path;
            }

            if (rule.Host is not null)
            {
                json["host"] = rule.Host;
            }

            if (!rule.Headers.IsDefaultOrEmpty)
            {
                json["headers"] = new JsonArray([.. rule.Headers.Select(h => (JsonNode)JsonValue.Create(h))]);
            }

            http.Add(json);
        }

        return http;
    }
}
