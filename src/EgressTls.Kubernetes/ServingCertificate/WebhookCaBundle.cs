using System.Text.Json.Nodes;

namespace EgressTls.Kubernetes.ServingCertificate;

/// <summary>
/// The JSON patch (RFC 6902) that sets the caBundle of every webhook of a MutatingWebhookConfiguration, or
/// none when all already hold it. Why a JSON patch rather than server-side apply: the chart (Helm) owns the
/// object and egress-tls owns only <c>webhooks[*].clientConfig.caBundle</c>; the patch names exactly those
/// fields, and its first operation tests <c>metadata.resourceVersion</c>, so a patch computed from a copy that
/// Helm has since changed (webhooks reordered, added) fails with 422 instead of writing at a stale index, and
/// is recomputed from a fresh read. Helm's three-way merge leaves the field alone on upgrade because the
/// chart never renders it in self-managed mode.
/// </summary>
public static class WebhookCaBundle
{
    /// <summary>The operations for <paramref name="configuration"/>, or an empty array when nothing differs.
    /// <paramref name="caBundleBase64"/> is the base64 of the PEM bundle (the API's byte field).</summary>
    public static JsonArray Patch(JsonObject configuration, string caBundleBase64)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var ops = new JsonArray();
        if (configuration["webhooks"] is not JsonArray webhooks)
        {
            return ops;
        }

        for (var i = 0; i < webhooks.Count; i++)
        {
            var clientConfig = webhooks[i]?["clientConfig"] as JsonObject;
            if (clientConfig is null || (string?)clientConfig["caBundle"] == caBundleBase64)
            {
                continue;
            }

            // "add" on an object member replaces an existing value too (RFC 6902 4.1).
            ops.Add(new JsonObject { ["op"] = "add", ["path"] = $"/webhooks/{i}/clientConfig/caBundle", ["value"] = caBundleBase64 });
        }

        if (ops.Count > 0)
        {
            ops.Insert(0, new JsonObject
            {
                ["op"] = "test",
                ["path"] = "/metadata/resourceVersion",
                ["value"] = (string?)configuration["metadata"]?["resourceVersion"],
            });
        }

        return ops;
    }
}
