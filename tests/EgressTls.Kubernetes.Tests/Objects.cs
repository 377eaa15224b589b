using System.Collections.Immutable;
using System.Text.Json.Nodes;
using EgressTls.Core;
using EgressTls.Core.Rendering;

namespace EgressTls.Kubernetes.Tests;

/// <summary>Generated objects shaped like the core's output, for the I/O tests.</summary>
internal static class Objects
{
    public static GeneratedObject LeafSecret(string ns = "egress-tls", string name = "egress-tls-leaf-abc", string sourceNs = "team-a") =>
        new(Manifest("v1", "Secret", ns, name, sourceNs, new JsonObject { ["type"] = "kubernetes.io/tls" }),
            new LeafCertificateContent(["github.com", "*.github.com"], []));

    public static GeneratedObject ClientCertCopy(string sourceNs, string sourceName, string workloadNs = "team-a") =>
        new(Manifest("v1", "Secret", "cilium-secrets", Naming.Compose(["egress-tls", workloadNs, sourceName]), workloadNs, new JsonObject { ["type"] = "kubernetes.io/tls" }),
            new CopiedSecretContent(sourceNs, sourceName, ["tls.crt", "tls.key"]));

    public static GeneratedObject PublicRoots(string ns = "egress-tls") =>
        new(Manifest("v1", "Secret", ns, "egress-tls-public-roots", null, new JsonObject()), new CaOnlyContent(null, null));

    public static GeneratedObject TrustBundle(string ns = "team-a") =>
        new(Manifest("v1", "ConfigMap", ns, "egress-tls-trust-bundle", null, new JsonObject()), new TrustBundleContent());

    public static GeneratedObject Cec(string ns = "team-a", string profile = "p1", int port = 8443) =>
        new(Manifest("cilium.io/v2", "CiliumEnvoyConfig", ns, $"egress-tls-{profile}", null, new JsonObject
        {
            ["spec"] = new JsonObject { ["resources"] = new JsonArray(new JsonObject { ["name"] = "listener", ["port"] = port }) },
        }));

    public static GeneratedObject Cnp(string ns = "team-a", string profile = "p1", string host = "github.com") =>
        new(Manifest("cilium.io/v2", "CiliumNetworkPolicy", ns, $"egress-tls-{profile}", null, new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["endpointSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { [Naming.ProfileLabel] = profile } },
                ["egress"] = new JsonArray(new JsonObject { ["toFQDNs"] = new JsonArray(new JsonObject { ["matchName"] = host }) }),
            },
        }));

    public static IReadOnlyList<GeneratedObject> Profile(string ns = "team-a") =>
        [Cnp(ns), Cec(ns), LeafSecret(), PublicRoots(), TrustBundle(ns)];

    private static JsonObject Manifest(string apiVersion, string kind, string ns, string name, string? sourceNs, JsonObject extra)
    {
        var labels = new JsonObject { [Naming.ManagedByLabel] = Naming.ManagedByValue, [Naming.ProfileLabel] = "p1" };
        if (sourceNs is not null)
        {
            labels[Naming.SourceNamespaceLabel] = sourceNs;
        }

        var manifest = new JsonObject
        {
            ["apiVersion"] = apiVersion,
            ["kind"] = kind,
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = labels },
        };
        foreach (var (k, v) in extra.ToList())
        {
            extra.Remove(k);
            manifest[k] = v;
        }

        return manifest;
    }
}
