using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace EgressTls.Core.Model;

/// <summary>Builds the <see cref="EgressProfile"/> of validated intent, with a content-derived id.</summary>
public static class ProfileBuilder
{
    /// <summary>
    /// The profile for <paramref name="intercept"/>, <paramref name="mtls"/> and <paramref name="otherEgress"/>
    /// in <paramref name="namespaceName"/>, or <c>null</c> when there is nothing for Cilium to do.
    /// The id is <see cref="Naming.ShortHash"/> of <see cref="Canonical"/>, which leaves out the
    /// namespace: equal intent gives an equal id everywhere, and pods with the same effective
    /// annotations share one profile (one policy for 500 replicas).
    /// </summary>
    public static EgressProfile? Build(
        string namespaceName, InterceptSpec? intercept, ImmutableArray<MtlsDestination> mtls, OtherEgress otherEgress)
    {
        if (intercept is null && mtls.IsDefaultOrEmpty)
        {
            return null;
        }

        var sortedMtls = mtls.Sort((a, b) => a.Destination.CompareTo(b.Destination));
        var canonical = Canonical(intercept, sortedMtls, otherEgress);
        var id = Naming.ShortHash(canonical);
        return new EgressProfile(
            namespaceName,
            intercept,
            sortedMtls,
            otherEgress,
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(Naming.ProfileLabel, id)]),
            id).WithCanonical(canonical);
    }

    /// <summary>
    /// <see cref="Canonical"/>, taken from
    /// <paramref name="remembered"/> when that profile was built from this very content (the admission path
    /// needs it three times per render), else computed.
    /// </summary>
    internal static string CanonicalUsing(EgressProfile? remembered, InterceptSpec? intercept, ImmutableArray<MtlsDestination> mtls, OtherEgress otherEgress) =>
        remembered?.CanonicalOf(intercept, mtls, otherEgress) ?? Canonical(intercept, mtls, otherEgress);

    /// <summary>
    /// The normalised content as compact JSON with a fixed member order (the hash input of the id and
    /// of the pod's status annotation).
    /// </summary>
    public static string Canonical(InterceptSpec? intercept, ImmutableArray<MtlsDestination> mtls, OtherEgress otherEgress)
    {
        var node = new JsonObject
        {
            ["intercept"] = intercept is null ? null : new JsonObject
            {
                ["hosts"] = new JsonArray([.. intercept.Hosts.Select(h => (JsonNode)JsonValue.Create(h.ToString()))]),
                ["httpRules"] = intercept.HttpRules is { } rules ? new JsonArray([.. rules.Select(RuleNode)]) : null,
                ["upstreamCa"] = intercept.UpstreamCaSecret,
            },
            ["mtls"] = new JsonArray([.. mtls.Select(m => (JsonNode)new JsonObject
            {
                ["ca"] = m.ServerCaSecret,
                ["cert"] = m.ClientCertSecret,
                ["destination"] = m.Destination.ToString(),
                ["sni"] = m.Sni,
                ["verify"] = m.VerifyServer,
            })]),
            ["otherEgress"] = otherEgress == OtherEgress.Allow ? "allow" : "deny",
        };
        return node.ToJsonString();
    }

    private static JsonNode RuleNode(HttpRule rule) => new JsonObject
    {
        ["headers"] = new JsonArray([.. rule.Headers.Select(h => (JsonNode)JsonValue.Create(h))]),
        ["host"] = rule.Host,
        ["method"] = rule.Method,
        ["path"] = rule.Path,
    };
}
