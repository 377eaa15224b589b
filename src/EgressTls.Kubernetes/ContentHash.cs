using System.Text.Json.Nodes;
using EgressTls.Core;
using EgressTls.Core.Rendering;

namespace EgressTls.Kubernetes;

/// <summary>
/// The content hash written to <see cref="Annotation"/> on everything egress-tls applies: a hash of the
/// manifest, of the content descriptor and of the certificate material fingerprint (for content made from
/// the CA or the public roots). Equal hash, equal object: the write is skipped.
/// </summary>
public static class ContentHash
{
    /// <summary>The annotation holding the hash.</summary>
    public const string Annotation = Naming.Prefix + "content-hash";

    /// <summary>Hash of <paramref name="obj"/> (its manifest without the hash annotation, and its content
    /// descriptor) under material <paramref name="materialFingerprint"/>. Pure and deterministic.</summary>
    public static string Compute(GeneratedObject obj, string? materialFingerprint)
    {
        var manifest = obj.Manifest.DeepClone().AsObject();
        if (manifest["metadata"] is JsonObject meta && meta["annotations"] is JsonObject annotations)
        {
            annotations.Remove(Annotation);
            if (annotations.Count == 0)
            {
                meta.Remove("annotations");
            }
        }

        var canonical = new JsonObject
        {
            ["manifest"] = Canonical(manifest),
            ["content"] = obj.Content is null ? null : Describe(obj.Content),
            ["material"] = UsesMaterial(obj.Content) ? materialFingerprint : null,
        };
        return Naming.ShortHash(canonical.ToJsonString(), 16);
    }

    /// <summary>True when the content is made from the CA or the public roots (so a CA change re-applies it).</summary>
    public static bool UsesMaterial(ObjectContent? content) =>
        content is LeafCertificateContent or TrustBundleContent or CaOnlyContent { SourceName: null };

    private static JsonObject Describe(ObjectContent content) => content switch
    {
        LeafCertificateContent l => new JsonObject
        {
            ["leaf"] = new JsonArray([.. l.DnsNames.Order(StringComparer.Ordinal).Select(n => (JsonNode?)n)]),
            ["ips"] = new JsonArray([.. l.IpAddresses.Order(StringComparer.Ordinal).Select(n => (JsonNode?)n)]),
        },
        CopiedSecretContent c => new JsonObject
        {
            ["copy"] = $"{c.SourceNamespace}/{c.SourceName}",
            ["keys"] = new JsonArray([.. c.Keys.Order(StringComparer.Ordinal).Select(n => (JsonNode?)n)]),
        },
        CaOnlyContent a => new JsonObject { ["ca"] = a.SourceName is null ? "public-roots" : $"{a.SourceNamespace}/{a.SourceName}" },
        TrustBundleContent => new JsonObject { ["bundle"] = true },
        _ => new JsonObject { ["unknown"] = content.GetType().Name },
    };

    // Sorted keys, so two manifests that differ only in key order hash alike.
    private static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Canonical(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Canonical)]),
        JsonValue v => JsonNode.Parse(v.ToJsonString()),
        _ => null,
    };
}
